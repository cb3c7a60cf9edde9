/**
 * The Run tab's default preprocessing for a colour 224×224 input is ImageNet mean/std, and with it
 * a real photograph gives PyTorch's prediction: tools/make_imagenet_default_refs.py recorded what
 * torchvision's transforms (ToTensor + Normalize) and PyTorch make of astronaut / chelsea / coffee
 * on resnet18 and googlenet (seeded random weights: no trained ImageNet weights are available
 * offline), and exported the same networks to ONNX; here the Run tab's own preprocessing feeds
 * those ONNX files to onnxruntime. The refs also record how far [0, 1] inputs move the logits, so
 * a match says the default is ImageNet's and not [0, 1].
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadNative } from "../../src/runtime/nativeEngine";
import { defaultNormalisation, PRESETS, resizeRgba, toTensor } from "../../webview/run/preprocess";
import { decodePng, toRgba } from "../support/png";

const ROOT = resolve(__dirname, "../..");
const FIXTURES = resolve(ROOT, "../shared/fixtures");
const PYTHON = process.env["CONVLENS_TEST_PYTHON"] ?? "/usr/bin/python3";
const OUT = "/tmp/convlens-imagenet-default";

interface Refs {
  models: Record<
    string,
    {
      onnx: string;
      images: {
        image: string;
        input_channel_sums: number[];
        input_probes: [number, number, number, number][];
        logits: number[];
        top5: number[];
        top1_margin: number;
        unit_range_max_abs_logit_diff: number;
      }[];
    }
  >;
}
const refs = JSON.parse(
  readFileSync(resolve(ROOT, "test/fixtures/imagenet_default/refs.json"), "utf8"),
) as Refs;

/** The exported ONNX files (~70 MB) are not committed: the tool writes them again when missing. */
function onnxReady(): boolean {
  const missing = Object.values(refs.models).some((m) => !existsSync(resolve(OUT, m.onnx)));
  if (!missing) return true;
  try {
    execFileSync(PYTHON, [resolve(ROOT, "tools/make_imagenet_default_refs.py"), "--onnx-only", OUT], {
      stdio: "ignore",
      timeout: 180_000,
    });
    return true;
  } catch {
    return false;
  }
}
const READY = onnxReady();
if (!READY) console.warn(`imagenetDefault.test: skipped, ${PYTHON} cannot export torchvision models`);

describe("default normalisation", () => {
  it("is ImageNet mean/std for colour inputs of at least 64 px on each side, and says so", () => {
    expect(defaultNormalisation(3, 224, 224).preset).toBe("ImageNet");
    expect(defaultNormalisation(3, 64, 64).preset).toBe("ImageNet");
    expect(defaultNormalisation(3, 112, 200).preset).toBe("ImageNet");
    expect(defaultNormalisation(3, 224, 224).reason).toMatch(/^Default: ImageNet mean\/std.*224×224/);
  });

  it("is [0, 1] for grey inputs and small colour inputs (digits, CIFAR)", () => {
    expect(defaultNormalisation(1, 32, 32).preset).toBe("[0,1]");
    expect(defaultNormalisation(1, 224, 224).preset).toBe("[0,1]");
    expect(defaultNormalisation(3, 32, 32).preset).toBe("[0,1]");
    expect(defaultNormalisation(3, 63, 224).preset).toBe("[0,1]");
    expect(defaultNormalisation(3, 32, 32).reason).toMatch(/^Default: \[0, 1\] \(pixel \/ 255\)/);
  });
});

describe.skipIf(!READY)(
  "ImageNet default on real photographs matches PyTorch with torchvision transforms",
  () => {
    const native = loadNative();
    if (!native.ok) throw new Error(native.why);
    const ort = native.ort;

    describe.each(Object.entries(refs.models))("%s", (_name, model) => {
      const session = ort.InferenceSession.create(resolve(OUT, model.onnx));

      it.each(model.images.map((r) => [r.image, r] as const))("%s", async (image, ref) => {
        const rgba = toRgba(decodePng(readFileSync(resolve(FIXTURES, "images", image))));
        const def = defaultNormalisation(3, 224, 224);
        const x = toTensor(resizeRgba(rgba, 224, 224), {
          width: 224,
          height: 224,
          channels: 3,
          order: "RGB",
          norm: PRESETS[def.preset],
        });
        // The tensor is torchvision's: probes and per-channel sums.
        for (const [c, y, xx, v] of ref.input_probes)
          expect(x[c * 224 * 224 + y * 224 + xx]).toBeCloseTo(v, 5);
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let i = 0; i < 224 * 224; i++) sum += x[c * 224 * 224 + i]!;
          expect(Math.abs(sum - ref.input_channel_sums[c]!)).toBeLessThan(0.05);
        }
        const s = await session;
        const out = await s.run({ input: new ort.Tensor("float32", x, [1, 3, 224, 224]) });
        const logits = Array.from(out["output"]!.data as Float32Array);
        const diff = Math.max(...logits.map((v, i) => Math.abs(v - ref.logits[i]!)));
        const scale = Math.max(1, ...ref.logits.map(Math.abs));
        expect(diff).toBeLessThan(1e-4 * scale);
        // [0, 1] inputs would have moved the logits by far more than that.
        expect(ref.unit_range_max_abs_logit_diff).toBeGreaterThan(100 * diff);
        const top1 = logits.indexOf(Math.max(...logits));
        expect(top1).toBe(ref.top5[0]);
      });
    });
  },
);

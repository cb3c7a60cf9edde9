/**
 * PyTorch .pth state_dicts written by real PyTorch (tools/make_pth_ref.py), read back by
 * ConvLens and compared with what PyTorch itself read back (the .ref.json files), then
 * loaded into LeNet5 (traced from custom_models.py) and run with onnxruntime-web.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../../src/core/formats/python/pythonModel";
import { readPytorchCheckpoint } from "../../../../src/core/formats/weights/pytorchCheckpoint";
import {
  applyWeights,
  readSafetensors,
  type StoredTensor,
} from "../../../../src/core/formats/weights/safetensors";
import type { Model } from "../../../../src/core/ir/types";
import { ModelError } from "../../../../src/core/ir/types";
import { buildRunnable } from "../../../../src/core/onnx/runnable";

ort.env.wasm.numThreads = 1;
const W = resolve(__dirname, "../../../fixtures/weights");
const PY = resolve(__dirname, "../../../fixtures/python");
const source = readFileSync(
  resolve(__dirname, "../../../../../shared/fixtures/definitions/custom_models.py"),
  "utf8",
);
const lenet = analyzePythonSource(source, { fileName: "custom_models.py" }).classes.find(
  (c) => c.name === "LeNet5",
)?.model as Model;

interface Ref {
  dtype: string;
  shape: number[];
  contiguous: boolean;
  values?: number[];
  sum?: number;
  abs_sum?: number;
  first?: number[];
}
const file = (name: string): Uint8Array => readFileSync(resolve(W, name));
const refOf = (name: string): Record<string, Ref> =>
  (JSON.parse(readFileSync(resolve(W, name), "utf8")) as { tensors: Record<string, Ref> }).tensors;

/** The values ConvLens read, as numbers (floats are float32 by then). */
function numbers(t: StoredTensor): number[] {
  const b = new Uint8Array(t.bytes); // aligned copy
  switch (t.dtype) {
    case "F32":
      return Array.from(new Float32Array(b.buffer));
    case "I64":
      return Array.from(new BigInt64Array(b.buffer), Number);
    case "I32":
      return Array.from(new Int32Array(b.buffer));
    default:
      return Array.from(b);
  }
}

const EXPECTED_DTYPE: Record<string, string> = { int64: "I64", int32: "I32", uint8: "U8", bool: "BOOL" };

function expectSameAsPytorch(got: Map<string, StoredTensor>, ref: Record<string, Ref>): void {
  expect([...got.keys()]).toEqual(Object.keys(ref));
  for (const [name, r] of Object.entries(ref)) {
    const t = got.get(name) as StoredTensor;
    expect(t.shape, name).toEqual(r.shape);
    expect(t.dtype, name).toBe(EXPECTED_DTYPE[r.dtype] ?? "F32");
    expect(numbers(t), name).toEqual((r.values ?? []).map((v) => (t.dtype === "F32" ? Math.fround(v) : v)));
  }
}

async function logits(model: Model): Promise<number[]> {
  const runnable = buildRunnable(model);
  expect(runnable.randomWeights).toBe(false);
  const session = await ort.InferenceSession.create(runnable.bytes);
  const x = Float32Array.from({ length: 1024 }, (_, i) => i / 1023);
  const out = await session.run({ input: new ort.Tensor("float32", x, [1, 1, 32, 32]) });
  return Array.from(out[session.outputNames[0] ?? ""]?.data as Float32Array);
}

describe("reading torch.save state_dicts", () => {
  it("gathers views (transposed, sliced, offset, expanded, permuted, shared storage), Parameters, Tensor subclasses and every dtype as PyTorch does", () => {
    const ref = refOf("noncontiguous.ref.json");
    expect(ref["transposed"]?.contiguous).toBe(false);
    expect(ref["out.weight"]?.contiguous).toBe(false);
    expectSameAsPytorch(readPytorchCheckpoint(file("noncontiguous.pth")), ref);
  });

  it('finds the state_dict under "state_dict" and strips DataParallel\'s "module." prefix', () => {
    const got = readPytorchCheckpoint(file("nested_module.pth"));
    expectSameAsPytorch(got, refOf("nested_module.ref.json"));
    // The same weights as the .safetensors written from the same seed, byte for byte.
    const safe = readSafetensors(readFileSync(resolve(PY, "lenet5.safetensors")));
    for (const [name, t] of got)
      expect(Buffer.from(t.bytes).equals(Buffer.from(safe.get(name)?.bytes ?? [])), name).toBe(true);
  });

  it.each(["nested_deflate.pth", "nested_zip64.pth"])(
    "reads %s (deflated / ZIP64 extra fields) like the original",
    (name) => {
      const want = readPytorchCheckpoint(file("nested_module.pth"));
      const got = readPytorchCheckpoint(file(name));
      expect([...got.keys()]).toEqual([...want.keys()]);
      for (const [k, t] of got) expect(Array.from(t.bytes), k).toEqual(Array.from(want.get(k)?.bytes ?? []));
    },
  );

  it("converts float16 to float32: LeNet5's tensors match PyTorch's checksums and the float32 weights to fp16 precision", () => {
    const got = readPytorchCheckpoint(file("lenet5_fp16.pth"));
    const ref = refOf("lenet5_fp16.ref.json");
    const safe = readSafetensors(readFileSync(resolve(PY, "lenet5.safetensors")));
    expect([...got.keys()]).toEqual([...safe.keys()]);
    for (const [name, r] of Object.entries(ref)) {
      const t = got.get(name) as StoredTensor;
      expect(t.dtype).toBe("F32");
      expect(t.shape).toEqual(r.shape);
      const v = numbers(t);
      expect(v.slice(0, 4)).toEqual((r.first ?? []).map(Math.fround));
      expect(v.reduce((a, b) => a + b, 0)).toBeCloseTo(r.sum ?? NaN, 9);
      expect(v.reduce((a, b) => a + Math.abs(b), 0)).toBeCloseTo(r.abs_sum ?? NaN, 9);
      const full = numbers(safe.get(name) as StoredTensor);
      v.forEach((x, i) =>
        expect(Math.abs(x - (full[i] ?? NaN))).toBeLessThanOrEqual(
          Math.abs(full[i] ?? 0) * 2 ** -11 + 2 ** -25,
        ),
      );
    }
  });
});

describe("loading them into a model", () => {
  it("runs LeNet5 with the .pth weights to PyTorch's logits", async () => {
    const { model, report } = applyWeights(lenet, readPytorchCheckpoint(file("lenet5_fp16.pth")));
    expect(report).toEqual({ loaded: 10, missing: [], unexpected: [], misshaped: [] });
    const got = await logits(model);
    const ref = JSON.parse(readFileSync(resolve(W, "lenet5_fp16.ref.json"), "utf8")) as { logits: number[] };
    expect(got).toHaveLength(10);
    ref.logits.forEach((v, i) => expect(Math.abs((got[i] ?? NaN) - v)).toBeLessThan(1e-5));
    // …and, up to float16 rounding, the logits of the float32 .safetensors weights.
    const safe = (
      JSON.parse(readFileSync(resolve(PY, "lenet5.safetensors.logits.json"), "utf8")) as { logits: number[] }
    ).logits;
    safe.forEach((v, i) => expect(Math.abs((got[i] ?? NaN) - v)).toBeLessThan(2e-3));
  });

  it("loads a non-contiguous (transposed) weight with its values in the right order", () => {
    const { model, report } = applyWeights(lenet, readPytorchCheckpoint(file("noncontiguous.pth")));
    expect(report.loaded).toBe(2);
    expect(report.missing).toEqual([
      "c1.weight",
      "c1.bias",
      "c3.weight",
      "c3.bias",
      "c5.weight",
      "c5.bias",
      "f6.weight",
      "f6.bias",
    ]);
    expect(report.unexpected).toContain("transposed");
    const loaded = model.graph.initializers.get("out.weight");
    const want = readSafetensors(readFileSync(resolve(PY, "lenet5.safetensors"))).get("out.weight");
    expect(loaded?.storage.kind).toBe("inline");
    expect(Array.from(loaded?.storage.kind === "inline" ? loaded.storage.bytes : [])).toEqual(
      Array.from(want?.bytes ?? []),
    );
  });

  it("reports missing, unexpected and mis-shaped keys", () => {
    const { report } = applyWeights(lenet, readPytorchCheckpoint(file("wrong_shape.pth")));
    expect(report).toEqual({
      loaded: 2, // c1.bias, and c3.bias from float16
      missing: ["c3.weight", "c5.weight", "c5.bias", "f6.weight", "out.weight"],
      unexpected: ["extra.weight"], // bn.num_batches_tracked is bookkeeping
      misshaped: [
        "c1.weight: file has F32[6, 1, 3, 3], the model needs float32[6, 1, 5, 5]",
        "f6.bias: file has F32[80], the model needs float32[84]",
        "out.bias: file has I64[10], the model needs float32[10]",
      ],
    });
  });
});

describe("files it refuses, with a reason", () => {
  const error = (bytes: Uint8Array): string => {
    try {
      readPytorchCheckpoint(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(ModelError);
      return (e as Error).message;
    }
    throw new Error("no error");
  };

  it("a whole pickled nn.Module (torch.save(model))", () => {
    const message = error(file("whole_model.pth"));
    expect(message).toContain("torch.nn.modules.container.Sequential");
    expect(message).toContain("torch.save(model.state_dict(), path)");
  });

  it("the legacy non-zip format", () => {
    expect(error(file("legacy.pth"))).toMatch(
      /legacy \(pre-1\.6\) torch\.save format \(_use_new_zipfile_serialization=False\)/,
    );
  });

  it("a TorchScript archive (torch.jit.save)", () => {
    expect(error(file("torchscript.pt"))).toMatch(
      /TorchScript archive \(torch\.jit\.save\).*torch\.save\(model\.state_dict\(\), path\)/,
    );
  });

  it("a truncated archive, a file that is no archive, and a bare pickle", () => {
    const whole = file("nested_module.pth");
    expect(error(whole.subarray(0, whole.length >> 1))).toMatch(/no end of central directory/);
    expect(error(new TextEncoder().encode("hello"))).toMatch(/not a torch\.save file/);
    const legacyBody = file("legacy.pth");
    expect(error(legacyBody.subarray(14))).toMatch(/not a torch\.save file/);
  });

  it("never follows a storage outside its data", () => {
    // Shrink data/5 (out.weight, 3360 bytes) in the central directory: the tensor then reaches past it.
    const bytes = new Uint8Array(file("nested_zip64.pth"));
    const view = new DataView(bytes.buffer);
    const name = new TextEncoder().encode("nested_module/data/5");
    for (let p = 0; p + 4 < bytes.length; p++) {
      if (view.getUint32(p, true) !== 0x02014b50) continue;
      const n = view.getUint16(p + 28, true);
      if (Buffer.from(bytes.subarray(p + 46, p + 46 + n)).equals(Buffer.from(name))) {
        view.setBigUint64(p + 46 + n + 4, 100n, true);
        view.setBigUint64(p + 46 + n + 12, 100n, true);
      }
    }
    expect(error(bytes)).toMatch(/"out\.weight" reaches past its storage/);
  });
});

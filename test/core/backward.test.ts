/**
 * Backward visualisations built as ONNX graphs and run with onnxruntime-web (wasm)
 * in Node, against the PyTorch autograd maps of shared/fixtures/expected/backward.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import type { Model } from "../../src/core/ir/types";
import {
  buildGradCam,
  buildInputGradient,
  type BackwardTarget,
  type Rectification,
} from "../../src/core/onnx/backward";
import { writeOnnx } from "../../src/core/onnx/writer";
import { decodePng, toChw } from "../support/png";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");
ort.env.wasm.numThreads = 1;

interface MapInfo {
  file: string;
  shape: number[];
}
interface ImageInfo {
  image: string;
  input_shape: number[];
  top_class: number;
  deconvnet_unit: { layer: string };
  gradcam_layer: string;
  gradcam_conv_output_layer: string;
  gradcam_c3_layer?: string;
  maps: Record<string, MapInfo>;
}

/** Module name → the ONNX value of its output (BatchNorm folded into the conv: bn3 is the last Conv). */
function valueOf(model: Model, layer: string): string {
  const node =
    model.graph.nodes.find((n) => n.name.startsWith(`/${layer}/`)) ??
    (layer.startsWith("bn") ? model.graph.nodes.filter((n) => n.opType === "Conv").pop() : undefined);
  if (!node?.outputs[0]) throw new Error(`no node for ${layer}`);
  return node.outputs[0];
}

function expectClose(got: Float32Array, file: string): void {
  const buf = readFileSync(resolve(FIXTURES, file));
  const want = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  expect(got.length).toBe(want.length);
  const scale = Math.max(...Array.from(want, Math.abs), 1e-30);
  let worst = 0;
  for (let i = 0; i < want.length; i++)
    worst = Math.max(worst, Math.abs((got[i] ?? NaN) - (want[i] ?? NaN)) / scale);
  // float32 forward vs the float64 reference: agreement to 1e-3 of the map's largest value.
  expect(worst).toBeLessThan(1e-3);
}

async function run(model: Model, output: string, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(writeOnnx(model));
  const out = await session.run(
    { [model.graph.inputs[0]?.name ?? "input"]: new ort.Tensor("float32", input, dims) },
    [output],
  );
  return out[output]?.data as Float32Array;
}

for (const name of ["lenet5_digits", "shapes_cnn"]) {
  const ref = JSON.parse(readFileSync(resolve(FIXTURES, `expected/backward/${name}.json`), "utf8")) as {
    images: ImageInfo[];
  };
  const model = readOnnx(readFileSync(resolve(FIXTURES, `models/${name}.onnx`)));
  describe(`${name} backward maps match PyTorch`, () => {
    for (const img of ref.images) {
      const channels = img.input_shape[1] ?? 1;
      const input = toChw(decodePng(readFileSync(resolve(FIXTURES, img.image))), channels);
      const cases: [string, () => ReturnType<typeof buildInputGradient>][] = [];
      const grad = (method: Rectification, target: BackwardTarget) => () =>
        buildInputGradient(model, method, target);
      const classT: BackwardTarget = { kind: "class", index: img.top_class };
      const unitT: BackwardTarget = { kind: "maxUnit", value: valueOf(model, img.deconvnet_unit.layer) };
      const table: Record<string, () => ReturnType<typeof buildInputGradient>> = {
        saliency: grad("saliency", classT),
        guided_backprop: grad("guided", classT),
        deconvnet: grad("deconvnet", unitT),
        guided_backprop_all_act: grad("guided_all_act", classT),
        deconvnet_all_act: grad("deconvnet_all_act", unitT),
        gradcam: () => buildGradCam(model, valueOf(model, img.gradcam_layer), img.top_class),
        gradcam_conv_output: () =>
          buildGradCam(model, valueOf(model, img.gradcam_conv_output_layer), img.top_class),
        gradcam_c3: () => buildGradCam(model, valueOf(model, img.gradcam_c3_layer ?? ""), img.top_class),
      };
      for (const key of Object.keys(img.maps)) if (table[key]) cases.push([key, table[key]]);
      it.each(cases)(`${img.image}: %s`, async (key, build) => {
        const g = build();
        const got = await run(g.model, g.output, input, img.input_shape);
        expectClose(got, img.maps[key]?.file ?? "");
      });
    }
  });
}

describe("methods without a rule say so", () => {
  it("names the op and the node", () => {
    const model = readOnnx(readFileSync(resolve(FIXTURES, "models/lstm_classifier.onnx")));
    expect(() => buildInputGradient(model, "saliency", { kind: "class", index: 0 })).toThrow(
      /saliency is not available: no backward rule for \w+ at \//,
    );
  });
});

/**
 * Backward graphs keep to ops that onnxruntime-web runs on WebGPU. Its 1.30 WebGPU EP has no
 * And / Or / Xor, so they fall back to the CPU, and the bool tensors passed between the two
 * came back wrong on WebGPU (shapes_cnn's max-pool gradients were off by up to 100 % of the map's
 * largest value; found with tools/gpu/gpuBench.ts). The masks are 0/1 floats instead.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { buildInputGradient, type Rectification } from "../../src/core/onnx/backward";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");
const CPU_ONLY_ON_WEBGPU = ["And", "Or", "Xor"];
/**
 * MaxPool's Indices output and MaxUnpool: resnet18's saliency failed on WebGPU with "IsTensor() was false".
 */
const NOT_ON_WEBGPU = ["MaxUnpool"];

describe("backward graphs use no bool logic ops", () => {
  // shapes_cnn: tiled 2×2 max pools; mobilenet_v2: ReLU6 as Clip.
  for (const name of ["shapes_cnn", "mobilenet_v2"])
    for (const method of ["saliency", "guided"] satisfies Rectification[])
      it(`${name} ${method}`, () => {
        const model = readOnnx(readFileSync(resolve(FIXTURES, `models/${name}.onnx`)));
        const g = buildInputGradient(model, method, { kind: "class", index: 0 });
        const ops = new Set(g.model.graph.nodes.map((n) => n.opType));
        expect(ops.has("MaxPool") || ops.has("Clip")).toBe(true);
        expect(CPU_ONLY_ON_WEBGPU.filter((op) => ops.has(op))).toEqual([]);
      });
  // resnet18: 3×3 / 2 pad 1 max pool; googlenet: 3×3 / 2 ceil_mode and 3×3 / 1 pad 1 ones.
  for (const name of ["resnet18", "googlenet"])
    it(`${name} saliency: overlapping max pools without Indices or MaxUnpool`, () => {
      const model = readOnnx(readFileSync(resolve(FIXTURES, `models/${name}.onnx`)));
      const g = buildInputGradient(model, "saliency", { kind: "class", index: 0 });
      const nodes = g.model.graph.nodes;
      expect(
        nodes.filter((n) => NOT_ON_WEBGPU.includes(n.opType) || CPU_ONLY_ON_WEBGPU.includes(n.opType)),
      ).toEqual([]);
      expect(nodes.filter((n) => n.opType === "MaxPool" && n.outputs.length > 1)).toEqual([]);
    });
});

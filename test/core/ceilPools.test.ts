/**
 * Ceil-mode max pools run as floor-mode pools with more end padding (onnxruntime-web's WebGPU EP
 * lacks ceil_mode): the rewritten model must compute exactly what the file computes, on wasm,
 * which implements ceil_mode itself.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { floorCeilPools } from "../../src/core/onnx/ceilPools";
import { buildRunnable } from "../../src/core/onnx/runnable";
import { writeOnnx } from "../../src/core/onnx/writer";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");
ort.env.wasm.numThreads = 1;

describe("ceil-mode max pools in floor mode", () => {
  it("googlenet: no ceil_mode left, the extra end padding where floor mode falls short, same output on wasm", async () => {
    const model = readOnnx(readFileSync(resolve(FIXTURES, "models/googlenet.onnx")), {
      externalExists: () => false,
    });
    const before = model.graph.nodes.filter((n) => n.opType === "MaxPool" && n.attrs["ceil_mode"] === 1);
    expect(before.length).toBeGreaterThan(0);
    const nodes = floorCeilPools(model);
    expect(nodes.filter((n) => n.opType === "MaxPool" && n.attrs["ceil_mode"] === 1)).toHaveLength(0);
    // maxpool1: 112×112 → 3×3/2 ceil → 56×56; floor mode needs one more row and column of −∞.
    expect(nodes.find((n) => n.name === before[0]?.name)?.attrs["pads"]).toEqual([0, 0, 1, 1]);

    // The model as built to run (generated weights, pools rewritten) against the same weights with
    // the file's own ceil-mode pools.
    const lowered = buildRunnable(model, { seed: 5 }).bytes;
    const runnable = readOnnx(lowered);
    const original = writeOnnx({
      ...runnable,
      graph: {
        ...runnable.graph,
        nodes: runnable.graph.nodes.map((n) => before.find((b) => b.name === n.name) ?? n),
      },
    });
    const data = Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.37) * 2);
    const run = async (b: Uint8Array) => {
      const s = await ort.InferenceSession.create(b);
      const name = s.inputNames[0] ?? "input";
      const out = await s.run({ [name]: new ort.Tensor("float32", data, [1, 3, 224, 224]) });
      const y = out[s.outputNames[0] ?? "output"]?.data as Float32Array;
      await s.release();
      return y;
    };
    const want = await run(original);
    const got = await run(lowered);
    expect(got).toHaveLength(1000);
    let maxDiff = 0,
      scale = 0;
    for (let i = 0; i < want.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(want[i]! - got[i]!));
      scale = Math.max(scale, Math.abs(want[i]!));
    }
    expect(maxDiff).toBeLessThanOrEqual(1e-6 * scale);
  }, 60_000);
});

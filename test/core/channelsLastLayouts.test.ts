/**
 * Which values of a channels-last model the Run tab can draw, and how (core/onnx/channelsFirst.ts):
 * a hand-made NHWC graph of the shape the TFLite/Keras readers emit (Transpose → NCHW op →
 * Transpose), run by onnxruntime-node on a tensor whose every element names its own (h, w, c).
 * Each drawn map is read the way the feature-map view reads it (tensorLayout.layoutOf: plane c
 * at c · channelStride) and compared with planes built here from (h, w, c) directly.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import type { Model, Node } from "../../src/core/ir/types";
import {
  channelsFirstView,
  fedInput,
  isChannelsLast,
  outputViewsOf,
  toFirstPerm,
  toLastPerm,
  valueLayouts,
} from "../../src/core/onnx/channelsFirst";
import { buildRunnable } from "../../src/core/onnx/runnable";
import { layoutOf } from "../../webview/run/tensorLayout";

const [H, W, C] = [3, 4, 2];
const code = (h: number, w: number, c: number) => 100 * c + 10 * h + w;

const node = (name: string, opType: string, inputs: string[], attrs: Node["attrs"] = {}): Node => ({
  name,
  opType,
  domain: "",
  inputs,
  outputs: [name],
  attrs,
});

/** x (NHWC) → to NCHW → Relu (channels first) → back to NHWC → Neg (channels last) → Reshape (lost). */
function model(layout: Model["layout"] | null = "channels_last"): Model {
  const shape = BigInt64Array.from([1n, BigInt(H * W * C)]);
  return {
    format: "test",
    producer: "test",
    irVersion: 8,
    weightless: false,
    opsets: { "": 17 },
    ...(layout !== null ? { layout } : {}),
    graph: {
      name: "g",
      inputs: [{ name: "x", dtype: "float32", shape: [1, H, W, C] }],
      outputs: [{ name: "flat", dtype: "float32", shape: [1, H * W * C] }],
      valueInfo: new Map(),
      initializers: new Map([
        [
          "shape",
          {
            name: "shape",
            dtype: "int64",
            dims: [2],
            storage: { kind: "inline", bytes: new Uint8Array(shape.buffer) },
          },
        ],
      ]) as Model["graph"]["initializers"],
      nodes: [
        node("nchw", "Transpose", ["x"], { perm: [0, 3, 1, 2] }),
        node("relu", "Relu", ["nchw"]),
        node("nhwc", "Transpose", ["relu"], { perm: [0, 2, 3, 1] }),
        node("neg", "Neg", ["nhwc"]),
        node("r3", "Reshape", ["neg", "shape"]),
        node("flat", "Identity", ["r3"]),
      ],
    },
  };
}

describe("channels-last layouts", () => {
  it("says which model keeps channels last, and the permutations by rank", () => {
    expect(isChannelsLast(model())).toBe(true);
    expect(isChannelsLast(model(null))).toBe(false);
    expect(toFirstPerm(4)).toEqual([0, 3, 1, 2]);
    expect(toLastPerm(4)).toEqual([0, 2, 3, 1]);
    expect(toFirstPerm(3)).toEqual([0, 2, 1]);
    expect(toFirstPerm(5)).toEqual([0, 4, 1, 2, 3]);
    expect(toLastPerm(5)).toEqual([0, 2, 3, 4, 1]);
  });

  it("follows the layout through the transposes and loses it at a reshape", () => {
    const l = valueLayouts(model());
    expect(Object.fromEntries(l)).toEqual({
      x: "last",
      nchw: "first",
      relu: "first",
      nhwc: "last",
      neg: "last",
    });
    expect(fedInput(model(), { name: "x", dtype: "float32", shape: [1, H, W, C] }).shape).toEqual([
      1,
      C,
      H,
      W,
    ]);
    const m = model(null);
    const x = m.graph.inputs[0]!;
    expect(fedInput(m, x)).toBe(x);
  });

  it("feeds the image channels first and draws each map with its channels where they are", async () => {
    const drawn = ["relu", "neg", "r3"].map((name) => ({ name, rank: name === "r3" ? 2 : 4 }));
    drawn.push({ name: "lost", rank: 4 });
    const m = model();
    const view = channelsFirstView(m, drawn);
    // relu is already channels first: drawn as it is; neg gets a copy; r3 (rank 2) needs no layout.
    expect([...view.copies.keys()]).toEqual(["neg"]);
    expect([...view.notDrawn.keys()]).toEqual(["lost"]);
    expect(channelsFirstView(model(null), drawn).notDrawn.size).toBe(0);

    // The NCHW image the Run tab feeds: plane c holds code(h, w, c).
    const fed = new Float32Array(C * H * W);
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) fed[(c * H + h) * W + w] = code(h, w, c);
    const neg = view.copies.get("neg")!;
    const session = await ort.InferenceSession.create(
      buildRunnable(view.model, { extraOutputs: ["relu", neg] }).bytes,
    );
    const input = view.model.graph.inputs[0]!;
    expect(input.shape).toEqual([1, C, H, W]);
    const out = await session.run({ [input.name]: new ort.Tensor("float32", fed, [1, C, H, W]) });
    for (const [name, sign] of [
      ["relu", 1],
      [neg, -1],
    ] as const) {
      const t = out[name]!;
      const layout = layoutOf(t.dims.map(Number));
      if (layout.kind !== "maps") throw new Error(`${name} is not drawn as maps`);
      expect([layout.channels, layout.height, layout.width]).toEqual([C, H, W]);
      const data = t.data as Float32Array;
      for (let c = 0; c < C; c++) {
        const plane = Array.from(data.subarray(c * layout.channelStride, c * layout.channelStride + H * W));
        const want = Array.from({ length: H * W }, (_, i) => sign * code(Math.floor(i / W), i % W, c) || 0);
        expect(plane.map((v) => v || 0)).toEqual(want);
      }
    }
  });
});

describe("a channels-last model's own outputs", () => {
  /** The same graph, its outputs the channels-last `neg` (a mask-like map) and a rank-4 reshape of it. */
  function withImageOutputs(): Model {
    const m = model();
    const shape4 = BigInt64Array.from([1n, BigInt(C), BigInt(H), BigInt(W)]);
    const initializers = new Map(m.graph.initializers);
    initializers.set("shape4", {
      name: "shape4",
      dtype: "int64",
      dims: [4],
      storage: { kind: "inline", bytes: new Uint8Array(shape4.buffer) },
    });
    return {
      ...m,
      graph: {
        ...m.graph,
        initializers: initializers as Model["graph"]["initializers"],
        nodes: [...m.graph.nodes.slice(0, 4), node("r4", "Reshape", ["neg", "shape4"])],
        outputs: [
          { name: "neg", dtype: "float32", shape: [1, H, W, C] },
          { name: "r4", dtype: "float32", shape: [1, C, H, W] },
        ],
      },
    };
  }

  it("draws a channels-last output from its channels-first copy, and not one whose layout is lost", async () => {
    const m = withImageOutputs();
    const wanted = m.graph.outputs.map((o) => ({ name: o.name, rank: o.shape?.length ?? 0 }));
    const view = channelsFirstView(m, wanted);
    const views = outputViewsOf(m, view);
    expect(Object.keys(views)).toEqual(["neg", "r4"]);
    const copy = views["neg"];
    if (copy === undefined || !("value" in copy)) throw new Error("neg is not drawn from a copy");
    expect(views["r4"]).toHaveProperty("notDrawn");
    expect(Object.keys(outputViewsOf(model(null), channelsFirstView(model(null), wanted)))).toEqual([]);

    const fed = new Float32Array(C * H * W);
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) fed[(c * H + h) * W + w] = code(h, w, c);
    const session = await ort.InferenceSession.create(
      buildRunnable(view.model, { extraOutputs: [copy.value] }).bytes,
    );
    const input = view.model.graph.inputs[0]!;
    const out = await session.run({ [input.name]: new ort.Tensor("float32", fed, [1, C, H, W]) });
    const t = out[copy.value]!;
    const layout = layoutOf(t.dims.map(Number));
    if (layout.kind !== "maps") throw new Error("the copy is not drawn as maps");
    expect([layout.channels, layout.height, layout.width]).toEqual([C, H, W]);
    const data = t.data as Float32Array;
    for (let c = 0; c < C; c++) {
      const plane = Array.from(data.subarray(c * layout.channelStride, c * layout.channelStride + H * W));
      const want = Array.from({ length: H * W }, (_, i) => -code(Math.floor(i / W), i % W, c) || 0);
      expect(plane.map((v) => v || 0)).toEqual(want);
    }
    // The file's own output is still there, channels last, for the raw values.
    expect(out["neg"]!.dims.map(Number)).toEqual([1, H, W, C]);
  });
});

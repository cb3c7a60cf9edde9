/**
 * Property test with onnxruntime as the oracle: random chains of shape-changing ops on a random
 * input, every intermediate a graph output; ConvLens's shape of each must be what onnxruntime
 * returns when it runs the graph. Seeded, so a failure names a reproducible seed.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import type { Node, Tensor } from "../../src/core/ir/types";
import { writeOnnx } from "../../src/core/onnx/writer";
import { opset18Model } from "../support/generatedModel";

/** mulberry32: a small seeded generator. */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

interface Step {
  readonly node: Omit<Node, "name" | "domain" | "outputs">;
  readonly consts?: Tensor[];
  readonly outputs?: number;
}

const ints = (name: string, values: number[]): Tensor => ({
  name,
  dtype: "int64",
  dims: [values.length],
  storage: { kind: "typed", values },
});

/** One random op on x of shape s (known while building, to pick valid arguments). */
function randomStep(r: (n: number) => number, x: string, s: readonly number[], k: number): Step {
  const rank = s.length;
  const axis = r(rank);
  const c = (suffix: string) => `c${k}_${suffix}`;
  const choices: (() => Step | undefined)[] = [
    () => ({ node: { opType: "Relu", inputs: [x], attrs: {} } }),
    () => {
      const perm = [...Array(rank).keys()].sort(() => r(3) - 1);
      return { node: { opType: "Transpose", inputs: [x], attrs: { perm } } };
    },
    () => {
      const axes = [...Array(rank).keys()].filter(() => r(2) === 0);
      if (axes.length === 0 || rank < 2) return undefined;
      return {
        node: { opType: "ReduceMean", inputs: [x, c("axes")], attrs: { keepdims: r(2) } },
        consts: [ints(c("axes"), axes)],
      };
    },
    () =>
      rank < 5
        ? {
            node: { opType: "Unsqueeze", inputs: [x, c("axes")], attrs: {} },
            consts: [ints(c("axes"), [r(rank + 1)])],
          }
        : undefined,
    () => {
      const ones = s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
      if (ones.length === 0 || rank < 2) return undefined;
      return {
        node: { opType: "Squeeze", inputs: [x, c("axes")], attrs: {} },
        consts: [ints(c("axes"), [ones[r(ones.length)] ?? 0])],
      };
    },
    () => ({ node: { opType: "Flatten", inputs: [x], attrs: { axis: r(rank + 1) } } }),
    () =>
      rank >= 2
        ? {
            node: { opType: "Reshape", inputs: [x, c("shape")], attrs: {} },
            consts: [ints(c("shape"), [0, -1])],
          }
        : undefined,
    () => ({ node: { opType: "Concat", inputs: [x, x], attrs: { axis } } }),
    () => {
      const d = s[axis] ?? 1;
      const start = r(d);
      return {
        node: { opType: "Slice", inputs: [x, c("s"), c("e"), c("a"), c("st")], attrs: {} },
        consts: [
          ints(c("s"), [start]),
          ints(c("e"), [start + 1 + r(d)]),
          ints(c("a"), [axis]),
          ints(c("st"), [1 + r(2)]),
        ],
      };
    },
    () => ({
      node: { opType: "Pad", inputs: [x, c("p")], attrs: {} },
      consts: [
        ints(
          c("p"),
          s.flatMap(() => [r(2), r(3)]),
        ),
      ],
    }),
    () => ({
      node: { opType: "Tile", inputs: [x, c("r")], attrs: {} },
      consts: [
        ints(
          c("r"),
          s.map(() => 1 + r(2)),
        ),
      ],
    }),
    () => ({
      node: { opType: "Expand", inputs: [x, c("shape")], attrs: {} },
      consts: [ints(c("shape"), [2, ...s.map(() => 1)])],
    }),
    () => {
      const d = s[axis] ?? 1;
      if (d < 2) return undefined;
      const first = 1 + r(d - 1);
      return {
        node: { opType: "Split", inputs: [x, c("split")], attrs: { axis } },
        consts: [ints(c("split"), [first, d - first])],
        outputs: 2,
      };
    },
    () => ({
      node: { opType: "Gather", inputs: [x, c("i")], attrs: { axis } },
      consts: [ints(c("i"), [0, Math.max(0, (s[axis] ?? 1) - 1)])],
    }),
  ];
  // A scalar (everything reduced away) only grows an axis again.
  if (rank === 0)
    return {
      node: { opType: "Unsqueeze", inputs: [x, c("axes")], attrs: {} },
      consts: [ints(c("axes"), [0])],
    };
  for (;;) {
    const step = choices[r(choices.length)]?.();
    if (step) return step;
  }
}

let checked = 0;

async function checkChain(seed: number): Promise<void> {
  const r = rng(seed);
  const input = Array.from({ length: 1 + r(4) }, () => 1 + r(4));
  let shape: readonly number[] = input;
  let x = "x";
  const nodes: Node[] = [];
  const consts: Tensor[] = [];
  const outputs: string[] = [];
  const feeds = { x: new ort.Tensor("float32", new Float32Array(input.reduce((a, b) => a * b, 1)), input) };
  let sess: ort.InferenceSession | undefined;
  for (let k = 0; k < 6; k++) {
    const step = randomStep(r, x, shape, k);
    const outs = Array.from({ length: step.outputs ?? 1 }, (_, i) => `y${k}_${i}`);
    nodes.push({ ...step.node, name: `n${k}`, domain: "", outputs: outs });
    consts.push(...(step.consts ?? []));
    outputs.push(...outs);
    // Run what is built so far to learn the shape the next op is chosen for.
    const model = opset18Model(nodes, consts, input, outputs);
    const bytes = writeOnnx(model);
    sess = await ort.InferenceSession.create(bytes);
    const result = await sess.run(feeds);
    const analysis = analyzeModel(readOnnx(bytes), { modelName: `seed ${seed}` });
    const got = new Map(analysis.layers.flatMap((l) => l.outputs.map((o) => [o.name, o.shape] as const)));
    for (const name of outputs)
      expect(got.get(name), `seed ${seed}, ${nodes.map((n) => n.opType).join(" → ")}: ${name}`).toEqual([
        ...(result[name]?.dims ?? []),
      ]);
    checked += outputs.length;
    x = outs[0] ?? x;
    shape = result[x]?.dims ?? shape;
    await sess.release();
  }
}

describe("shapes of random op chains equal onnxruntime's", () => {
  it("for 150 seeds", async () => {
    for (let seed = 1; seed <= 150; seed++) await checkChain(seed);
    // 6 chain lengths per seed, each comparing every output so far.
    expect(checked).toBeGreaterThanOrEqual(150 * 21);
  }, 120_000);
});

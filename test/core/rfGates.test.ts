/**
 * Receptive fields through channel gates (squeeze-and-excitation) and channel shuffles.
 * Reference: test/fixtures/rfgates/expected.json, measured with autograd by
 * tools/make_rfgate_refs.py (a gate's local field is measured with the gate detached).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../src/core/index";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { jsonReport, rfText } from "../../src/core/analysis/report";
import { summarizeField, withoutChannels, type ValueField } from "../../src/core/fields/receptiveField";
import type { RFInfo } from "../../src/core/analysis/result";
import type { Graph, Model, Node, Tensor } from "../../src/core/ir/types";

type Rf = { size: number[]; stride: number[]; start: number[] } | "global";
interface Expected {
  readonly outputs: Record<string, { channels: Record<string, Rf>; union: Rf; full: Rf }>;
}

const DIR = resolve(__dirname, "../fixtures/rfgates");
const EXPECTED = JSON.parse(readFileSync(resolve(DIR, "expected.json"), "utf8")) as Record<string, Expected>;

function analyzeFixture(name: string) {
  const path = resolve(DIR, `${name}.onnx`);
  const fields = new Map<string, ValueField>();
  const analysis = analyzeFile(path, readFileSync(path), {}, { onField: (n, f) => fields.set(n, f) });
  return { analysis, fields };
}

function asRf(info: RFInfo): Rf | null {
  if (!info) return null;
  if (info.kind === "global") return "global";
  return {
    size: info.axes.map((a) => a.size),
    stride: info.axes.map((a) => a.stride),
    start: info.axes.map((a) => a.start),
  };
}

/** The field of channel c: its segment's, or the value's when channels are not told apart. */
function channelRf(f: ValueField | undefined, c: number): Rf | null {
  if (f?.kind !== "axes" || !f.channels) return asRf(summarizeField(f));
  let at = 0;
  for (const s of f.channels) {
    if (c < at + s.count) return asRf(summarizeField({ kind: "axes", axes: s.axes, misaligned: false }));
    at += s.count;
  }
  return null;
}

describe("receptive fields after squeeze-and-excitation gates (se_cnn.onnx vs autograd)", () => {
  const { analysis, fields } = analyzeFixture("se_cnn");
  const expected = EXPECTED["se_cnn"] as Expected;

  for (const [name, want] of Object.entries(expected.outputs)) {
    it(`${name}: the measured local field, flagged when a gate's context reaches it`, () => {
      const f = fields.get(name);
      const rf = summarizeField(f);
      expect(asRf(rf)).toEqual(want.channels["0"]);
      expect(channelRf(f, 1)).toEqual(want.channels["1"]);
      if (f?.kind === "axes") expect(asRf(summarizeField(withoutChannels(f)))).toEqual(want.union);
      // Gated: the local field is finite, the whole field (gate not detached) is the input.
      const gated = want.channels["0"] !== "global" && want.full === "global";
      expect(rf?.kind === "spatial" && rf.globalContext === true).toBe(gated);
    });
  }

  it("every spatial layer after the first gate keeps a field (no empty RF column)", () => {
    const first = analysis.layers.findIndex((l) => l.opType === "Mul");
    const after = analysis.layers
      .slice(first)
      .filter(
        (l) =>
          (l.opType === "Conv" || l.opType === "Relu") &&
          (l.outputs[0]?.shape?.length ?? 0) === 4 &&
          l.outputs[0]?.shape?.[2] !== 1,
      );
    expect(after.length).toBeGreaterThan(4);
    for (const l of after) expect(l.rf?.kind, l.name).toBe("spatial");
  });

  it("the CLI shows the flag in the table and the JSON", () => {
    const head = analysis.layers.find((l) => l.name === "head");
    expect(rfText(head?.rf ?? null).size).toBe("27×27 +global");
    const json = jsonReport(analysis).layers.find((l) => l.name === "head");
    expect(json?.rf).toEqual({ size: [27, 27], stride: [4, 4], start: [-13, -13], global_context: true });
    const stem = jsonReport(analysis).layers.find((l) => l.name === "stem");
    expect(stem?.rf).toEqual({ size: [3, 3], stride: [2, 2], start: [-1, -1] });
  });
});

describe("receptive fields through channel shuffles (shuffle_cnn.onnx vs autograd)", () => {
  const { fields } = analyzeFixture("shuffle_cnn");
  const expected = EXPECTED["shuffle_cnn"] as Expected;
  for (const [name, want] of Object.entries(expected.outputs)) {
    it(`${name}: channels 0 and 1 keep their own fields, the union is every channel's`, () => {
      const f = fields.get(name);
      expect(asRf(summarizeField(f))).toEqual(want.channels["0"]);
      expect(channelRf(f, 1)).toEqual(want.channels["1"]);
      if (f?.kind === "axes") expect(asRf(summarizeField(withoutChannels(f)))).toEqual(want.union);
    });
  }
});

// Small IR graphs: input 1×4×8×8, a 3×3 conv, then the construct under test.
const W: Tensor = { name: "w", dtype: "float32", dims: [4, 4, 3, 3], storage: { kind: "none" } };
function ints(name: string, values: number[]): Tensor {
  return { name, dtype: "int64", dims: [values.length], storage: { kind: "typed", values } };
}
function node(opType: string, inputs: string[], outputs: string[], attrs: Node["attrs"] = {}): Node {
  return { name: outputs[0] ?? opType, opType, domain: "", inputs, outputs, attrs };
}
function run(nodes: Node[], extra: Tensor[] = [], inputShape = [1, 4, 8, 8]) {
  const all = [node("Conv", ["input", "w"], ["x"], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), ...nodes];
  const inits = [W, ...extra];
  const graph: Graph = {
    name: "g",
    nodes: all,
    inputs: [{ name: "input", dtype: "float32", shape: inputShape }],
    outputs: [],
    initializers: new Map(inits.map((t) => [t.name, t])),
    valueInfo: new Map(),
  };
  const model: Model = {
    format: "onnx",
    graph,
    opsets: { "": 17 },
    producer: "test",
    irVersion: 8,
    weightless: true,
  };
  const fields = new Map<string, ValueField>();
  const a = analyzeModel(model, { modelName: "g", onField: (n, f) => fields.set(n, f) });
  const rf = (name: string) => summarizeField(fields.get(name));
  return { a, fields, rf };
}
const LOCAL_3 = { size: [3, 3], stride: [1, 1], start: [-1, -1] };

describe("the gate rule on small graphs", () => {
  it("spatial × globally pooled [N,C,1,1] keeps the spatial field, flagged", () => {
    const { rf } = run([
      node("GlobalAveragePool", ["x"], ["p"]),
      node("Sigmoid", ["p"], ["s"]),
      node("Mul", ["x", "s"], ["y"]),
      node("Conv", ["y", "w"], ["z"], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    ]);
    expect(rf("p")).toEqual({ kind: "global" });
    expect(rf("y")).toEqual({
      kind: "spatial",
      axes: [
        { size: 3, stride: 1, start: -1 },
        { size: 3, stride: 1, start: -1 },
      ],
      misaligned: false,
      globalContext: true,
    });
    // The flag follows the field through later layers; a later global pool is global again.
    expect(rf("z")).toMatchObject({ kind: "spatial", globalContext: true });
    expect(asRf(rf("z"))).toEqual({ size: [5, 5], stride: [1, 1], start: [-2, -2] });
    expect(rf("x")).not.toHaveProperty("globalContext");
  });

  it("the gate may come first, be added, or scale per sample ([N,1,1,1])", () => {
    const { rf } = run(
      [
        node("ReduceMean", ["x", "axes"], ["m"], { keepdims: 1 }),
        node("Mul", ["m", "x"], ["y1"]),
        node("Add", ["x", "m"], ["y2"]),
      ],
      [ints("axes", [1, 2, 3])],
    );
    expect(rf("m")).toEqual({ kind: "global" });
    for (const y of ["y1", "y2"]) {
      expect(asRf(rf(y))).toEqual(LOCAL_3);
      expect(rf(y)).toMatchObject({ globalContext: true });
    }
  });

  it("spatial × a global operand of full spatial extent is global", () => {
    const { rf } = run(
      [
        node("Reshape", ["x", "flat"], ["f"]),
        node("Softmax", ["f"], ["sm"], { axis: -1 }),
        node("Reshape", ["sm", "full"], ["g"]),
        node("Mul", ["x", "g"], ["y"]),
      ],
      [ints("flat", [1, 4, 64]), ints("full", [1, 4, 8, 8])],
    );
    expect(rf("g")).toEqual({ kind: "global" });
    expect(rf("y")).toEqual({ kind: "global" });
  });

  it("a gate expanded or upsampled to the full map is still a per-channel scale", () => {
    const { rf } = run(
      [
        node("GlobalAveragePool", ["x"], ["p"]),
        node("Expand", ["p", "shape"], ["e"]),
        node("HardSigmoid", ["e"], ["s"]),
        node("Mul", ["x", "s"], ["y1"]),
        node("Resize", ["p", "", "", "shape"], ["r"], { mode: "nearest" }),
        node("Add", ["x", "r"], ["y2"]),
      ],
      [ints("shape", [1, 4, 8, 8])],
    );
    for (const y of ["y1", "y2"]) {
      expect(asRf(rf(y))).toEqual(LOCAL_3);
      expect(rf(y)).toMatchObject({ globalContext: true });
    }
  });

  it("a local operand broadcast over the map (a whole-map pool) is context, not part of the unit's window", () => {
    const { rf } = run([
      node("AveragePool", ["x"], ["p"], { kernel_shape: [8, 8] }),
      node("Mul", ["x", "p"], ["y"]),
    ]);
    expect(asRf(rf("p"))).toEqual({ size: [10, 10], stride: [1, 1], start: [-1, -1] });
    expect(asRf(rf("y"))).toEqual(LOCAL_3);
    expect(rf("y")).toMatchObject({ globalContext: true });
  });
});

describe("per-channel fields through shuffles and splits on small graphs", () => {
  // Channels 0..3: the conv's 3×3 field; channels 4..7: a second conv on top, 5×5.
  const pre = [
    node("Conv", ["x", "w"], ["x2"], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    node("Concat", ["x", "x2"], ["cat"], { axis: 1 }),
  ];
  const LOCAL_5 = { size: [5, 5], stride: [1, 1], start: [-2, -2] };

  it("Reshape (N, g, C/g, H, W) → Transpose(1, 2) → Reshape interleaves the channels' fields", () => {
    const { fields, rf } = run(
      [
        ...pre,
        node("Reshape", ["cat", "split"], ["r1"]),
        node("Transpose", ["r1"], ["t"], { perm: [0, 2, 1, 3, 4] }),
        node("Reshape", ["t", "merge"], ["shuf"]),
        node("Relu", ["shuf"], ["act"]),
      ],
      [ints("split", [1, 2, 4, 8, 8]), ints("merge", [1, 8, 8, 8])],
    );
    for (const name of ["shuf", "act"]) {
      const f = fields.get(name);
      expect(asRf(rf(name))).toEqual(LOCAL_3);
      for (let c = 0; c < 8; c++) expect(channelRf(f, c)).toEqual(c % 2 === 0 ? LOCAL_3 : LOCAL_5);
      if (f?.kind === "axes") expect(asRf(summarizeField(withoutChannels(f)))).toEqual(LOCAL_5);
    }
  });

  it("a transpose that moves a spatial axis, or a reshape that merges one, does not keep them", () => {
    const { rf } = run(
      [
        ...pre,
        node("Reshape", ["cat", "hw"], ["m"]),
        node("Transpose", ["cat"], ["nhwc"], { perm: [0, 2, 3, 1] }),
      ],
      [ints("hw", [1, 8, 64])],
    );
    expect(rf("m")).toEqual({ kind: "global" });
    expect(asRf(rf("nhwc"))).toEqual(LOCAL_5);
  });

  it("Split and Slice on channels give each part its own channels' fields", () => {
    const { fields, rf } = run(
      [
        ...pre,
        node("Split", ["cat", "halves"], ["a", "b"], { axis: 1 }),
        node("Slice", ["cat", "s0", "s1", "s2"], ["odd"]),
      ],
      [ints("halves", [4, 4]), ints("s0", [5]), ints("s1", [8]), ints("s2", [1])],
    );
    expect(asRf(rf("a"))).toEqual(LOCAL_3);
    expect(asRf(rf("b"))).toEqual(LOCAL_5);
    expect(fields.get("a")).not.toHaveProperty("channels");
    expect(asRf(rf("odd"))).toEqual(LOCAL_5);
  });
});

/**
 * The input ConvLens assumes for a class nothing gives a shape: solved from the code's constraints,
 * it must be a size PyTorch runs the class at (tools/make_assumed_input_refs.py), with PyTorch's
 * params and MACs there; a class broken at every size keeps the size and names PyTorch's numbers.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { fittedAssumptions } from "../../../src/core/formats/python/assumedInput";
import { analyzePythonSource, type PythonOptions } from "../../../src/core/formats/python/pythonModel";

const FILE = resolve(__dirname, "../../fixtures/python/assumed_inputs.py");
const SOURCE = readFileSync(FILE, "utf8");

interface Expected {
  readonly rank: number;
  readonly channels: number;
  readonly params: number;
  readonly at_default_size: { output_shape?: number[]; error?: string };
  readonly runs: Record<string, { output_shape: number[]; params: number; macs: number }>;
  readonly errors: Record<string, string>;
}
const EXPECTED = (
  JSON.parse(readFileSync(FILE.replace(/\.py$/, ".expected.json"), "utf8")) as {
    classes: Record<string, Expected>;
  }
).classes;

function classOf(name: string, opts: Partial<PythonOptions> = {}) {
  const cls = analyzePythonSource(SOURCE, { fileName: FILE, ...opts }).classes.find((c) => c.name === name);
  if (!cls) throw new Error(`no class ${name}`);
  return cls;
}

/** PyTorch's "(1x120 and 100x84)": what arrives and what the Linear wants. */
function torchNumbers(message: string | undefined): { got: number; want: number } {
  const m = /\((\d+)x(\d+) and (\d+)x\d+\)/.exec(message ?? "");
  if (!m) throw new Error(`no matmul numbers in ${message}`);
  return { got: Number(m[2]), want: Number(m[3]) };
}

const analysed = new Map(Object.keys(EXPECTED).map((name) => [name, classOf(name)]));

describe("assumed input sizes that PyTorch runs", () => {
  for (const [name, exp] of Object.entries(EXPECTED).filter(([, e]) => Object.keys(e.runs).length > 0)) {
    it(name, () => {
      const cls = analysed.get(name);
      expect(cls?.input?.source).toBe("assumed");
      const shape = cls?.input?.shape ?? [];
      expect(shape.length).toBe(exp.rank);
      expect(shape[1]).toBe(exp.channels);
      const size = String(shape[2]);
      expect(Object.keys(exp.runs), `PyTorch runs ${name} at ${size}`).toContain(size);
      expect(shape.slice(2).every((d) => String(d) === size)).toBe(true);
      expect(cls?.diagnostics).toEqual([]);
      expect(cls?.analysis?.totals.params).toBe(exp.runs[size]?.params);
      expect(cls?.analysis?.totals.macs).toBe(exp.runs[size]?.macs);
    });
  }

  it("reads LeNet-5 as 32×32 and AlphaGo's board as 19×19 (the sizes the issue names)", () => {
    expect(analysed.get("LeNet5")?.input?.shape).toEqual([1, 1, 32, 32]);
    expect(analysed.get("PolicyNet")?.input?.shape).toEqual([1, 48, 19, 19]);
  });

  it("does not take 224 where PyTorch runs it with a batch the view made up", () => {
    // PyTorch at 1×3×224×224: view(-1, 64) gives a batch of 49, [49, 10]; a silent wrong number before.
    expect(EXPECTED["ViewBatch"]?.at_default_size.output_shape?.[0]).toBeGreaterThan(1);
    const cls = analysed.get("ViewBatch");
    expect(Object.keys(EXPECTED["ViewBatch"]?.runs ?? {})).toContain(String(cls?.input?.shape[2]));
    expect(cls?.analysis?.outputs[0]?.shape?.[0]).toBe(1);
  });

  it("warns where no size keeps the batch a view(-1, …) makes up", () => {
    const src = SOURCE.replace("features(x).view(-1, 64)", "features(x).view(-1, 32)").replace(
      "self.fc = nn.Linear(64, 10)",
      "self.fc = nn.Linear(32, 10)",
    );
    const cls = analyzePythonSource(src, { fileName: FILE }).classes.find((c) => c.name === "ViewBatch");
    const shape = cls?.input?.shape.join("×") ?? "";
    expect(cls?.diagnostics).toEqual([
      expect.objectContaining({
        severity: "warning",
        message: expect.stringMatching(
          new RegExp(`turns the batch of 1 into \\d+ at the assumed input ${shape}`),
        ),
      }),
    ]);
    expect(src.slice(cls?.diagnostics[0]?.span.from, cls?.diagnostics[0]?.span.to)).toBe(
      "self.features(x).view(-1, 32)",
    );
  });

  it("keeps the first layer's default when every size runs", () => {
    expect(analysed.get("FullyConv")?.input?.shape).toEqual([1, 3, 224, 224]);
  });
});

describe("a class broken at every size", () => {
  it("keeps LeNet-5's 32×32 and offers the fix PyTorch's numbers ask for", () => {
    const broken = analysed.get("LeNet5BrokenF6");
    expect(Object.keys(EXPECTED["LeNet5BrokenF6"]?.runs ?? {})).toEqual([]);
    expect(broken?.input?.shape).toEqual(analysed.get("LeNet5")?.input?.shape);
    expect(broken?.analysis?.totals.params).toBe(EXPECTED["LeNet5BrokenF6"]?.params);
    const torch = torchNumbers(EXPECTED["LeNet5BrokenF6"]?.errors["32"]);
    expect(broken?.diagnostics).toHaveLength(1);
    const d = broken?.diagnostics[0];
    expect(d?.message).toContain(`expects ${torch.want} input features but receives ${torch.got}`);
    // 120 exists only because of the assumed 32×32: the message says so.
    expect(d?.message).toMatch(/assuming input 1×1×32×32$/);
    expect(d?.fixes?.[0]).toMatchObject({
      replacement: String(torch.got),
      title: `Change in_features to ${torch.got}`,
    });
    expect(SOURCE.slice(d?.fixes?.[0]?.span.from, d?.fixes?.[0]?.span.to)).toBe(String(torch.want));
  });

  it("names PyTorch's numbers at the size it assumes when no size gives in_features", () => {
    const off = analysed.get("TutorialNetOff");
    const size = String(off?.input?.shape[2]);
    const torch = torchNumbers(EXPECTED["TutorialNetOff"]?.errors[size]);
    expect(off?.diagnostics[0]?.message).toContain(
      `expects ${torch.want} input features but receives ${torch.got}`,
    );
    expect(off?.diagnostics[0]?.fixes?.[0]?.replacement).toBe(String(torch.got));
  });

  it("keeps the last size that fitted while the class is broken", () => {
    const off = classOf("TutorialNetOff", { lastGoodInputs: { TutorialNetOff: [1, 3, 32, 32] } });
    expect(off.input?.shape).toEqual([1, 3, 32, 32]);
    const torch = torchNumbers(EXPECTED["TutorialNetOff"]?.errors["32"]);
    expect(off.diagnostics[0]?.message).toContain(`receives ${torch.got}`);
    expect(off.diagnostics[0]?.message).toMatch(/assuming input 1×3×32×32$/);
    expect(off.diagnostics[0]?.fixes?.[0]?.replacement).toBe(String(torch.got));
  });

  it("leaves the message alone when its numbers do not depend on the size", () => {
    const src = SOURCE.replace("self.fc2 = nn.Linear(120, 84)", "self.fc2 = nn.Linear(100, 84)");
    const net = analyzePythonSource(src, { fileName: FILE }).classes.find((c) => c.name === "TutorialNet");
    expect(net?.input?.shape).toEqual([1, 3, 32, 32]);
    expect(net?.diagnostics.map((d) => d.message)).toEqual([
      "Linear expects 100 input features but receives 120 (input 1×120)",
    ]);
  });
});

describe("the last good assumptions the editor keeps", () => {
  it("records classes that analysed cleanly and keeps the earlier size of a broken one", () => {
    const first = analyzePythonSource(SOURCE, { fileName: FILE });
    const fitted = fittedAssumptions(first);
    expect(fitted["LeNet5"]).toEqual([1, 1, 32, 32]);
    expect(fitted["PolicyNet"]).toEqual([1, 48, 19, 19]);
    expect(Object.keys(fitted)).not.toContain("LeNet5BrokenF6");
    // SignalNet broken by an edit: 492 features, where 480 arrive at 128 and 496 at 130–133. Alone it
    // would move to the nearer 130; with the record it keeps 128, and so does the record.
    const edited = SOURCE.replace("self.fc = nn.Linear(16 * 30, 5)", "self.fc = nn.Linear(16 * 30 + 12, 5)");
    expect(edited).not.toBe(SOURCE);
    const signal = (opts: Partial<PythonOptions>) =>
      analyzePythonSource(edited, { fileName: FILE, ...opts }).classes.find((c) => c.name === "SignalNet");
    expect(fitted["SignalNet"]).toEqual([1, 1, 128]);
    expect(signal({})?.input?.shape).not.toEqual([1, 1, 128]);
    const kept = signal({ lastGoodInputs: fitted });
    expect(kept?.input?.shape).toEqual([1, 1, 128]);
    expect(kept?.diagnostics[0]?.message).toMatch(/receives 480 .*assuming input 1×1×128$/);
    const second = analyzePythonSource(edited, { fileName: FILE, lastGoodInputs: fitted });
    expect(fittedAssumptions(second, fitted)["SignalNet"]).toEqual([1, 1, 128]);
  });
});

describe("a size the docstring states", () => {
  it("reads AlphaGoPolicy's 19x19 board (fully convolutional: any size runs) as the shared fixture's input", () => {
    const shared = resolve(__dirname, "../../../../shared/fixtures");
    const src = readFileSync(resolve(shared, "definitions/custom_models.py"), "utf8");
    const expected = JSON.parse(readFileSync(resolve(shared, "expected/alphago_policy.json"), "utf8")) as {
      input_shape: number[];
      totals: { params: number; macs: number };
    };
    const cls = analyzePythonSource(src, { fileName: "custom_models.py" }).classes.find(
      (c) => c.name === "AlphaGoPolicy",
    );
    expect(cls?.input).toMatchObject({ shape: expected.input_shape, source: "assumed" });
    expect(cls?.analysis?.totals.params).toBe(expected.totals.params);
    expect(cls?.analysis?.totals.macs).toBe(expected.totals.macs);
  });

  it("does not take a docstring's size the code rules out", () => {
    const src = SOURCE.replace(
      '"""The PyTorch CIFAR-10 tutorial network: `view(-1, 16 * 5 * 5)`."""',
      '"""For 64x64 images (it is not: fc1 says 32×32)."""',
    );
    expect(src).not.toBe(SOURCE);
    const net = analyzePythonSource(src, { fileName: FILE }).classes.find((c) => c.name === "TutorialNet");
    expect(Object.keys(EXPECTED["TutorialNet"]?.runs ?? {})).toContain(String(net?.input?.shape[2]));
    expect(Object.keys(EXPECTED["TutorialNet"]?.runs ?? {})).not.toContain("64");
  });
});

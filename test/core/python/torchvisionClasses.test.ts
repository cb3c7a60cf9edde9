/**
 * The corpus comparison (torchvisionCorpus.ts) on what the analyser does today: torchvision's
 * model classes built with their default arguments, read from the real sources (imports through
 * the module loader), where those defaults are exactly what the builder passes.
 * Also checks that the comparison itself calls a wrong number wrong and a null unknown.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { ModelAnalysis } from "../../../src/core/analysis/result";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";
import { compareWithTorch, type CorpusStatus, type TorchvisionExpected } from "./torchvisionCorpus";

const THIRD_PARTY = resolve(__dirname, "../../fixtures/third_party");
const MODELS = resolve(THIRD_PARTY, "torchvision/models");

function expectedOf(builder: string): TorchvisionExpected {
  return JSON.parse(
    readFileSync(resolve(THIRD_PARTY, "torchvision-expected", `${builder}.json`), "utf8"),
  ) as TorchvisionExpected;
}

/** The files the analysis reads: relative imports from the file's folder, absolute ones from third_party. */
const files = { read: (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : undefined) };

function analyseClass(
  file: string,
  cls: string,
  builder: string,
): { analysis?: ModelAnalysis; why: string; expected: TorchvisionExpected } {
  const expected = expectedOf(builder);
  const path = resolve(MODELS, file);
  const result = analyzePythonSource(readFileSync(path, "utf8"), {
    fileName: path,
    files,
    pythonPath: [THIRD_PARTY],
    forcedInputShapes: { [cls]: [...expected.input_shape] },
  });
  const traced = result.classes.find((c) => c.name === cls);
  return {
    ...(traced?.analysis ? { analysis: traced.analysis } : {}),
    why: traced?.error ?? `no class ${cls}`,
    expected,
  };
}

/**
 * Classes whose default arguments are the builder's (VGG, ResNet, EfficientNet … need
 * arguments). `today` is the status as of today and `wrong` the numbers PyTorch contradicts
 * today, pinned exactly: a fix makes this test fail, and the entry then moves to [] (never back).
 */
const CLASSES: readonly {
  file: string;
  cls: string;
  builder: string;
  today: CorpusStatus;
  wrong: readonly string[];
}[] = [
  { file: "alexnet.py", cls: "AlexNet", builder: "alexnet", today: "exact", wrong: [] },
  // The auxiliary heads (aux1, aux2 / AuxLogits) never run in eval mode; their parameters are
  // in PyTorch's model.parameters() and in our total (they were missing once).
  { file: "googlenet.py", cls: "GoogLeNet", builder: "googlenet", today: "exact", wrong: [] },
  { file: "squeezenet.py", cls: "SqueezeNet", builder: "squeezenet1_0", today: "exact", wrong: [] },
  { file: "densenet.py", cls: "DenseNet", builder: "densenet121", today: "exact", wrong: [] },
  { file: "mobilenetv2.py", cls: "MobileNetV2", builder: "mobilenet_v2", today: "exact", wrong: [] },
  { file: "inception.py", cls: "Inception3", builder: "inception_v3", today: "exact", wrong: [] },
  { file: "video/s3d.py", cls: "S3D", builder: "s3d", today: "exact", wrong: [] },
];

describe("torchvision classes (default arguments) against the builders' PyTorch numbers", () => {
  it.each(CLASSES)("$cls ($builder): $today", ({ file, cls, builder, today, wrong }) => {
    const { analysis, why, expected } = analyseClass(file, cls, builder);
    const r = compareWithTorch(analysis, expected, why);
    expect(r.mismatches).toEqual(wrong);
    expect(r.status, r.unknowns.slice(0, 5).join("; ")).toBe(today);
  });
});

describe("the comparison itself", () => {
  const { analysis, expected } = analyseClass("alexnet.py", "AlexNet", "alexnet");
  const a = analysis as ModelAnalysis;
  const conv = a.layers.findIndex((l) => l.name === "features.3");
  const edit = (
    f: (l: ModelAnalysis["layers"][number]) => ModelAnalysis["layers"][number],
  ): ModelAnalysis => ({ ...a, layers: a.layers.map((l, i) => (i === conv ? f(l) : l)) });

  it("finds AlexNet's second convolution", () => {
    expect(analysis).toBeDefined();
    expect(a.layers[conv]?.layerType).toBe("Conv2d");
  });

  it("calls a layer's MACs off by more than 0.5 % wrong, within it fine", () => {
    const torch = expected.layers.find(([p]) => p === "features.3")?.[3] ?? 0;
    expect(
      compareWithTorch(
        edit((l) => ({ ...l, macs: Math.round(torch * 1.01) })),
        expected,
      ).status,
    ).toBe("wrong");
    const near = compareWithTorch(
      edit((l) => ({ ...l, macs: Math.round(torch * 1.004) })),
      expected,
    );
    expect(near.mismatches.filter((m) => m.startsWith("features.3"))).toEqual([]);
  });

  it("calls a null unknown, a symbolic dimension unknown, a different dimension wrong", () => {
    const unknownMacs = compareWithTorch(
      edit((l) => ({ ...l, macs: null })),
      { ...expected, macs: expected.macs },
    );
    expect(unknownMacs.unknowns).toContain("features.3: MACs unknown");
    const out = (shape: (string | number)[]) => (l: ModelAnalysis["layers"][number]) => ({
      ...l,
      outputs: [{ name: "y", dtype: "float32" as const, shape }],
    });
    expect(compareWithTorch(edit(out(["N", 192, 27, 27])), expected).unknowns).toContain(
      "features.3: shape [N, 192, 27, 27]",
    );
    expect(compareWithTorch(edit(out([1, 192, 26, 27])), expected).mismatches).toContain(
      "features.3: shape [1, 192, 26, 27] vs PyTorch [1, 192, 27, 27]",
    );
  });

  it("calls wrong params, a wrong output and an extra call wrong", () => {
    expect(
      compareWithTorch({ ...a, totals: { ...a.totals, params: a.totals.params + 1 } }, expected).status,
    ).toBe("wrong");
    const extra = a.layers[conv] as ModelAnalysis["layers"][number];
    const twice = { ...a, layers: [...a.layers, { ...extra, index: 999, id: "again" }] };
    expect(compareWithTorch(twice, expected).mismatches).toContain(
      "features.3: 1 extra Conv2d call(s) (PyTorch calls it 1 time(s))",
    );
  });

  it("without an analysis, the reason is the unknown", () => {
    expect(compareWithTorch(undefined, expected, "needs a pythonPath")).toEqual({
      status: "unknown",
      mismatches: [],
      unknowns: ["needs a pythonPath"],
    });
  });
});

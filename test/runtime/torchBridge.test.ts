/**
 * "Check with PyTorch" on the PyTorch fixture corpus, with Debian's torch 1.13 (/usr/bin/python3;
 * scripts/ensure-tools.mjs installs python3-torch when it is missing):
 * - the bridge's trace equals what PyTorch recorded for the fixtures (tools/make_python_refs.py,
 *   tools/make_script_refs.py): outputs, total params, every leaf module's first call; a model
 *   PyTorch rejects fails at the same line;
 * - the static reading agrees with the trace layer by layer (compareTrace): any disagreement
 *   fails, except those named in KNOWN_DISAGREEMENTS.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compareTrace, type TorchTrace } from "../../src/core/analysis/torchTrace";
import { analyzePythonSource, type PythonAnalysis } from "../../src/core/formats/python/pythonModel";
import { bridgeRequest, type BridgeRequest } from "../../src/core/formats/python/torchCheck";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { analyzeModel } from "../../src/core/analysis/analyze";
import { exportSourceMap, sourceLineOf } from "../../src/core/analysis/exportSourceMap";
import { tracedAnalysis } from "../../src/core/analysis/torchColumn";
import { loadNative, NativeEngine } from "../../src/runtime/nativeEngine";
import { runBridgeBatch, type BridgeResult } from "../../src/runtime/torchBridge";

const ROOT = resolve(__dirname, "../..");
const PYTHON = process.env["CONVLENS_TEST_PYTHON"] ?? "/usr/bin/python3";
const SCRIPT = resolve(ROOT, "media/python/convlens_bridge.py");
const THIRD_PARTY = resolve(ROOT, "test/fixtures/third_party");
const DIRS = ["cases", "scripts"].map((d) => resolve(ROOT, "test/fixtures/python", d));
const sourceFiles = { read: (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : undefined) };

function torchVersion(): string | undefined {
  try {
    return execFileSync(PYTHON, ["-c", "import torch; print(torch.__version__)"], {
      encoding: "utf8",
    }).trim();
  } catch {
    return undefined;
  }
}
const TORCH = torchVersion();
if (!TORCH)
  console.warn(`torchBridge.test: skipped, no torch in ${PYTHON} (npm test installs python3-torch)`);

/**
 * Static-vs-PyTorch disagreements known today, by "file model: message" — each one a gap of the
 * static reader named here and in the report (empty is the goal).
 */
const KNOWN_DISAGREEMENTS: readonly string[] = [];

/**
 * Models the bridge cannot run here, each with the one-line error it must give instead: Debian
 * ships neither Lightning nor torchinfo, and a model built inside main() from argparse's `args`
 * cannot be rebuilt from the module's names.
 */
const KNOWN_BRIDGE_ERRORS: Readonly<Record<string, { kind: string; message: string }>> = {
  "lightning_module.py model": { kind: "import-error", message: "No module named 'pytorch_lightning'" },
  "torchinfo_summary.py encoder": { kind: "import-error", message: "No module named 'torchinfo'" },
  "train_cifar_argparse.py model": { kind: "build-error", message: "name 'args' is not defined" },
};

interface ExpectedModel {
  readonly input_shape: number[];
  readonly output_shapes?: number[][];
  readonly totals?: { params: number };
  readonly layers?: { name: string; type: string; output_shape: number[]; params: number }[];
  readonly error?: string;
  readonly line?: number;
}

interface Case {
  readonly id: string;
  readonly file: string;
  readonly analysis: PythonAnalysis;
  readonly model: string;
  readonly expected: ExpectedModel;
  readonly request: BridgeRequest | string;
}

const cases: Case[] = DIRS.flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".py"))
    .sort()
    .flatMap((f) => {
      const file = resolve(dir, f);
      const source = readFileSync(file, "utf8");
      const expected = JSON.parse(readFileSync(file.replace(/\.py$/, ".expected.json"), "utf8")) as {
        models: Record<string, ExpectedModel>;
      };
      const analysis = analyzePythonSource(source, {
        fileName: file,
        files: sourceFiles,
        pythonPath: [THIRD_PARTY],
      });
      return Object.entries(expected.models).map(([model, exp]) => {
        const c = analysis.classes.find((x) => x.name === model);
        const request = c
          ? bridgeRequest(file, source, analysis, c)
          : `no model ${model} in the static reading`;
        return { id: `${basename(file)} ${model}`, file, analysis, model, expected: exp, request };
      });
    }),
);

/** The first call of every leaf module, in call order, as the fixtures list layers. */
function leafLayers(t: TorchTrace): { name: string; type: string; output_shape: number[]; params: number }[] {
  const modules = new Map(t.modules.map((m) => [m.path, m]));
  const seen = new Set<string>();
  const out = [];
  for (const c of t.calls) {
    const m = modules.get(c.path);
    if (!m?.leaf || seen.has(c.path)) continue;
    seen.add(c.path);
    out.push({
      name: c.path,
      type: c.type,
      output_shape: [...(c.outputs[0]?.shape ?? [])],
      params: m.params,
    });
  }
  return out;
}

describe.skipIf(!TORCH)(
  `Check with PyTorch over the fixture corpus (${PYTHON}, torch ${TORCH ?? "-"})`,
  () => {
    let results: BridgeResult[] = [];
    const runnable = cases.filter((c) => typeof c.request !== "string");

    it("runs the corpus in one interpreter", async () => {
      const started = Date.now();
      results = await runBridgeBatch(
        runnable.map((c) => c.request as BridgeRequest),
        // The scripts' module-level code runs (onnx_export.py writes tiny.onnx): a scratch folder as cwd.
        {
          python: PYTHON,
          script: SCRIPT,
          cwd: mkdtempSync(resolve(tmpdir(), "convlens-bridge-")),
          timeoutMs: 240_000,
        },
      );
      const ok = results.filter((r) => r.ok).length;
      console.log(`bridge: ${runnable.length} models (${ok} traced) in ${Date.now() - started} ms`);
      expect(results).toHaveLength(runnable.length);
    }, 300_000);

    it("builds a request for every model of the corpus", () => {
      expect(
        cases.filter((c) => typeof c.request === "string").map((c) => `${c.id}: ${String(c.request)}`),
      ).toEqual([]);
    });

    const resultOf = (c: Case): BridgeResult | undefined => results[runnable.indexOf(c)];
    let compared = 0;
    let filled = 0;
    const disagreements: string[] = [];

    for (const c of runnable) {
      const known = KNOWN_BRIDGE_ERRORS[c.id];
      if (known) {
        it(`${c.id}: says in one line why it cannot run here`, () => {
          const r = resultOf(c);
          expect(r?.ok ? "traced" : r?.error.kind).toBe(known.kind);
          if (r && !r.ok) expect(r.error.message).toContain(known.message);
        });
        continue;
      }
      it(`${c.id}: the trace is PyTorch's`, () => {
        const r = resultOf(c);
        if (c.expected.error !== undefined) {
          expect(r?.ok ? "traced" : r?.error.kind).toBe("forward-error");
          if (r && !r.ok) {
            expect(r.error.line).toBe(c.expected.line);
            expect(r.error.message).toContain(c.expected.error.split(":")[0] ?? "");
          }
          return;
        }
        if (!r?.ok) throw new Error(`bridge: ${r?.error.kind}: ${r?.error.message}`);
        expect(r.trace.outputs.map((o) => o.shape)).toEqual(c.expected.output_shapes);
        expect(r.trace.params).toBe(c.expected.totals?.params);
        const want = (c.expected.layers ?? []).map(({ name, type, output_shape, params }) => ({
          name,
          type,
          output_shape,
          params,
        }));
        expect(leafLayers(r.trace)).toEqual(want);
      });
      if (c.expected.error !== undefined) continue;
      it(`${c.id}: the static reading agrees with PyTorch layer by layer`, () => {
        const r = resultOf(c);
        if (!r?.ok) throw new Error(`bridge: ${r?.error.message}`);
        const traced = c.analysis.classes.find((x) => x.name === c.model);
        const cmp = compareTrace(traced?.analysis, r.trace);
        compared += cmp.agreements + cmp.disagreements.length + cmp.filled.length;
        filled += cmp.filled.length;
        const found = [...cmp.disagreements.map((d) => d.message), ...cmp.totals].map((m) => `${c.id}: ${m}`);
        disagreements.push(...found);
        expect(found.filter((m) => !KNOWN_DISAGREEMENTS.includes(m))).toEqual([]);
        expect(cmp.filled.map((f) => `${f.path}: ${f.ours}`)).toEqual([]);
      });
    }

    it("summary", () => {
      console.log(
        `static vs PyTorch: ${compared} layer calls compared, ${filled} filled from PyTorch (unknown statically), ${disagreements.length} disagreements`,
      );
      expect(compared).toBeGreaterThan(100);
    });
  },
);

describe.skipIf(!TORCH)("Check with PyTorch on what the static reading cannot do", () => {
  const run = async (rel: string, model: string) => {
    const file = resolve(ROOT, "test/fixtures/python", rel);
    const source = readFileSync(file, "utf8");
    const analysis = analyzePythonSource(source, { fileName: file });
    const c = analysis.classes.find((x) => x.name === model);
    const request = c && bridgeRequest(file, source, analysis, c);
    if (!c || !request || typeof request === "string") throw new Error(`no request: ${String(request)}`);
    const cwd = mkdtempSync(resolve(tmpdir(), "convlens-bridge-"));
    const result = (
      await runBridgeBatch([request], { python: PYTHON, script: SCRIPT, cwd, timeoutMs: 60_000 })
    )[0];
    return { source, c, result };
  };

  it("a model built through a registry: unknown statically, every layer filled from PyTorch", async () => {
    const { c, result } = await run("pytorch_check/registry_model.py", "model");
    expect(c.analysis).toBeUndefined();
    if (!result?.ok) throw new Error(`bridge: ${result?.error.message}`);
    const cmp = compareTrace(c.analysis, result.trace);
    expect(cmp.disagreements).toEqual([]);
    // Each leaf PyTorch ran is filled, at the line of the builder that made it.
    expect(cmp.filled.map((f) => f.path)).toEqual(leafLayers(result.trace).map((l) => l.name));
    expect(cmp.filled.length).toBe(8);
    expect(cmp.filled.every((f) => f.line !== null)).toBe(true);
    // The inspector shows PyTorch's rows (running the file prints torch.Size([2, 5])).
    const { analysis, column } = tracedAnalysis("model", result.trace, c.error ?? "");
    const shapes = analysis.layers.map((l) => l.outputs[0]?.shape?.join("x")).join(" ");
    expect(shapes).toBe("2x16x32x32 2x16x32x32 2x16x16x16 2x32x14x14 2x32x14x14 2x32x1x1 2x32 2x5");
    expect(analysis.totals.params).toBe(3 * 16 * 9 + 16 + 16 * 32 * 9 + 32 + 32 * 5 + 5);
    expect(column.cells.map(([, cell]) => cell.shape)).toContain("2×5");
  });

  it("a shape bug: PyTorch's error on the line the static reading flags", async () => {
    const { source, c, result } = await run("pytorch_check/shape_bug.py", "model");
    const staticLines = c.diagnostics.map((d) => source.slice(0, d.span.from).split("\n").length);
    const fcLine = source.split("\n").findIndex((l) => l.includes("return self.fc(")) + 1;
    expect(staticLines).toContain(fcLine);
    expect(result?.ok).toBe(false);
    if (result && !result.ok) {
      expect(result.error.kind).toBe("forward-error");
      expect(result.error.line).toBe(fcLine);
      expect(result.error.message).toMatch(
        /mat1 and mat2 shapes cannot be multiplied \(1x6272 and 8192x10\)/,
      );
    }
  });
});

describe.skipIf(!TORCH)("Export with PyTorch: the user's trained weights in onnxruntime", () => {
  it("LeNet5 with a .pth checkpoint: the ONNX file gives PyTorch's logits and top-1", async () => {
    const file = resolve(ROOT, "../shared/fixtures/definitions/custom_models.py");
    const source = readFileSync(file, "utf8");
    const analysis = analyzePythonSource(source, { fileName: file });
    const lenet = analysis.classes.find((c) => c.name === "LeNet5");
    const request = lenet && bridgeRequest(file, source, analysis, lenet);
    if (!request || typeof request === "string") throw new Error(`no request: ${String(request)}`);
    const dir = mkdtempSync(resolve(tmpdir(), "convlens-export-"));
    const onnx = resolve(dir, "lenet5.onnx");
    const checkpoint = resolve(ROOT, "test/fixtures/weights/lenet5_fp16.pth");
    const [r] = await runBridgeBatch([{ ...request, export: { path: onnx, checkpoint } }], {
      python: PYTHON,
      script: SCRIPT,
      cwd: dir,
      timeoutMs: 120_000,
    });
    if (!r?.ok) throw new Error(`bridge: ${r?.error.message}`);
    // PyTorch's logits for these weights on linspace(0, 1, 1024), written by tools/make_pth_ref.py.
    const ref = JSON.parse(readFileSync(checkpoint.replace(/\.pth$/, ".ref.json"), "utf8")) as {
      logits: number[];
    };
    const exported = r.trace.export;
    expect(exported?.reference.output).toEqual(ref.logits);
    const native = loadNative();
    if (!native.ok) throw new Error(native.why);
    const engine = new NativeEngine(native.ort);
    const data = Float32Array.from({ length: 1024 }, (_, i) => i / 1023);
    const run = await engine.run(
      onnx,
      () => readFileSync(onnx),
      { input: { dtype: "float32", dims: [1, 1, 32, 32], data } },
      [readOnnx(readFileSync(onnx)).graph.outputs[0]?.name ?? ""],
    );
    engine.dispose();
    const logits = [...([...run.outputs.values()][0]?.data ?? [])];
    expect(logits).toHaveLength(ref.logits.length);
    logits.forEach((v, i) => expect(v).toBeCloseTo(ref.logits[i] ?? NaN, 5));
    const top1 = logits.indexOf(Math.max(...logits));
    expect(top1).toBe(ref.logits.indexOf(Math.max(...ref.logits)));
    expect(top1).toBe(exported?.reference.top1);

    // The source map: every row of the exported ONNX leads to the line of custom_models.py that
    // built its module (`self.c1 = nn.Conv2d(…)` for /c1/Conv, `self.s2 = …` for /s2/Pad too).
    const map = exportSourceMap("LeNet5", file, exported?.modules ?? []);
    const lineOf = (attr: string) => source.split("\n").findIndex((l) => l.includes(`self.${attr} =`)) + 1;
    const rows = analyzeModel(readOnnx(readFileSync(onnx)), { modelName: "lenet5" }).layers;
    expect(rows.map((l) => l.id)).toContain("/s2/Pad");
    for (const row of rows) expect([row.id, sourceLineOf(map, row)]).toEqual([row.id, lineOf(row.name)]);
    expect(new Set(rows.map((l) => l.name))).toEqual(new Set(Object.keys(map.lines)));
  });
});

/**
 * The benchmark's result as JSON and as a Markdown report. Both are rewritten after
 * every section, so a run cut short by the device's time limit still leaves what it
 * measured under $OUT.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AdapterInfo } from "./gpuEnv";
import type { MapRow, PredictionRow } from "./groundTruth";
import type { Agreement, Ep, MemorySample, Timing } from "./measure";

export interface ModelResult {
  readonly model: string;
  readonly what: string;
  readonly input: string;
  readonly buildMs?: number;
  readonly modelMiB?: number;
  readonly randomWeights?: boolean;
  readonly timings: Partial<Record<Ep, Timing>>;
  readonly agreement?: Agreement;
  readonly errors: Partial<Record<Ep | "build", string>>;
}

export interface Report {
  readonly meta: {
    readonly started: string;
    readonly node: string;
    readonly platform: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly ortEntry: string;
    readonly ortVersion?: string;
    readonly quick: boolean;
    adapter: AdapterInfo | null;
    init: Partial<Record<Ep, number>>;
    totalS?: number;
  };
  predictions: PredictionRow[];
  maps: MapRow[];
  forward: ModelResult[];
  backward: ModelResult[];
  memory?: { model: string; msPerRun: number; samples: MemorySample[] };
  notes: string[];
}

const ms = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(x < 10 ? 2 : x < 100 ? 1 : 0);
const sci = (x: number | undefined): string => (x === undefined ? "–" : x.toExponential(1));
const yes = (ok: boolean): string => (ok ? "yes" : "**NO**");

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

function timingRows(results: readonly ModelResult[]): string[][] {
  const rows: string[][] = [];
  for (const r of results)
    for (const ep of ["webgpu", "wasm"] as const) {
      const t = r.timings[ep];
      const err = r.errors[ep] ?? r.errors.build;
      if (!t && !err) continue; // this EP was not run
      const agree =
        ep === "webgpu" && r.agreement
          ? `${sci(r.agreement.rel)}, top-1 ${yes(r.agreement.top1Ref === r.agreement.top1Got)}`
          : "";
      rows.push([
        r.model,
        r.what,
        ep,
        ms(t?.createMs),
        ms(t?.firstMs),
        ms(t?.medianMs),
        t ? String(t.runs) : "–",
        err ? `error: ${err}` : agree,
      ]);
    }
  return rows;
}

export function renderMarkdown(r: Report): string {
  const a = r.meta.adapter;
  const out: string[] = ["# ConvLens on WebGPU: benchmark and ground truth", ""];
  out.push(
    `- Adapter: ${a ? `${a.vendor} / ${a.architecture} / ${a.device} (${a.description}), fallback: ${a.isFallbackAdapter}` : "none (wasm only)"}`,
    `- Node ${r.meta.node} on ${r.meta.platform}, ${r.meta.cpus} CPUs (${r.meta.cpuModel}); onnxruntime-web ${r.meta.ortVersion ?? "?"} (${r.meta.ortEntry}), wasm 1 thread${r.meta.quick ? "; **--quick**" : ""}`,
    `- Runtime start (first session of a tiny model, ms): wasm ${ms(r.meta.init.wasm)}, webgpu ${ms(r.meta.init.webgpu)}${r.meta.totalS !== undefined ? `; whole run ${r.meta.totalS.toFixed(0)} s` : ""}`,
    "",
  );
  if (r.predictions.length) {
    const bad = r.predictions.filter((p) => !p.ok).length;
    out.push(
      `## Logits vs PyTorch (${r.predictions.length - bad}/${r.predictions.length} within 1e-3 with the same class)`,
      "",
    );
    out.push(
      ...table(
        [
          "model",
          "image",
          "label",
          "torch",
          "webgpu",
          "max abs diff webgpu",
          "wasm",
          "max abs diff wasm",
          "ok",
        ],
        r.predictions.map((p) => [
          p.model,
          p.image.replace(/^images\//, ""),
          String(p.label),
          String(p.torchTop1),
          String(p.top1.webgpu ?? "–"),
          sci(p.maxAbs.webgpu),
          String(p.top1.wasm ?? "–"),
          sci(p.maxAbs.wasm),
          yes(p.ok),
        ]),
      ),
      "",
    );
  }
  if (r.maps.length) {
    const bad = r.maps.filter((m) => !m.ok).length;
    out.push(
      `## Backward maps vs PyTorch (${r.maps.length - bad}/${r.maps.length} within 1e-3 of the map's max)`,
      "",
    );
    out.push(
      ...table(
        ["model", "image", "map", "shape", "webgpu max diff / max", "wasm max diff / max", "ok"],
        r.maps.map((m) => [
          m.model,
          m.image.replace(/^images\//, ""),
          m.map,
          m.shape.join("×"),
          sci(m.rel.webgpu),
          sci(m.rel.wasm),
          m.error ? `error: ${m.error}` : m.firstDiff ? `**NO**, first differs at ${m.firstDiff}` : yes(m.ok),
        ]),
      ),
      "",
    );
  }
  const head = [
    "model",
    "graph",
    "EP",
    "create",
    "first run",
    "median",
    "runs",
    "webgpu vs wasm (max diff / max)",
  ];
  if (r.forward.length) {
    out.push("## Forward pass (ms; each run uploads the input and reads the output back)", "");
    out.push(...table(head, timingRows(r.forward)), "");
    const built = r.forward.filter((f) => f.buildMs !== undefined);
    out.push(
      `Model build (readModel + buildRunnable, ms): ${built.map((f) => `${f.model} ${ms(f.buildMs)} (${f.modelMiB?.toFixed(1)} MiB${f.randomWeights ? ", generated weights" : ""})`).join(", ")}`,
      "",
    );
  }
  if (r.backward.length) {
    out.push("## Backward graphs (ms)", "", ...table(head, timingRows(r.backward)), "");
  }
  if (r.memory) {
    const m = r.memory;
    out.push(`## Memory: ${m.model} on WebGPU, ${ms(m.msPerRun)} ms per run`, "");
    out.push(
      ...table(
        [
          "when",
          "RSS MiB",
          "heapUsed MiB",
          "external MiB",
          "arrayBuffers MiB",
          "live GPU buffers",
          "live GPU MiB",
        ],
        m.samples.map((s) => [
          s.label,
          ms(s.rssMiB),
          ms(s.heapUsedMiB),
          ms(s.externalMiB),
          ms(s.arrayBuffersMiB),
          String(s.liveGpuBuffers),
          ms(s.liveGpuMiB),
        ]),
      ),
      "",
    );
  }
  if (r.notes.length) out.push("## Notes", "", ...r.notes.map((n) => `- ${n}`), "");
  return out.join("\n");
}

/** Writes gpu-bench.json and gpu-bench.md into `dir` (the device's $OUT) when one is given. */
export function saveReport(r: Report, dir: string | undefined): void {
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "gpu-bench.json"), JSON.stringify(r, null, 1));
  writeFileSync(join(dir, "gpu-bench.md"), renderMarkdown(r));
}

/**
 * `npm run bench`, runtime part: the Markdown tables of scripts/benchEngines.ts's measurements,
 * and the output checks (the Run panel's own comparison, webview/run/backend.ts).
 */
import { outputsAgree } from "../webview/run/backend";

/** Growth below this counts as flat (allocator and JIT noise). */
export const FLAT_BYTES = 4 * 1048576;

export interface Timing {
  createMs: number;
  firstMs: number;
  runMs: number[];
}
export interface Check {
  ok: boolean;
  /** max |other − reference| / max |reference|. */
  rel: number;
  top1: boolean;
}
export interface NodeRow {
  model: string;
  native: Summary | null;
  wasm: Summary;
  ratio: number | null;
  check: Check | null;
}
export interface Summary {
  createMs: number;
  firstMs: number;
  medianMs: number;
  runs: number;
}
export interface MemoryResult {
  fetches: string[];
  passes: number;
  warmup: number;
  msPerPass: number;
  before: Record<string, number | null>;
  after: Record<string, number | null>;
}
export interface BrowserRow {
  model: string;
  backend: string;
  createMs?: number;
  firstMs?: number;
  runMs?: number[];
  /** The first output, as returned by the page; replaced by `check`. */
  output?: number[];
  error?: string;
  check?: Check | null;
}
export interface BrowserResult {
  skipped?: string;
  chromium?: string;
  ortEntry?: string;
  adapter?: Record<string, unknown> | null;
  rows?: BrowserRow[];
  memory?: (MemoryResult & { method: string }) | null;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (x: number | undefined): string =>
  x === undefined || Number.isNaN(x) ? "–" : x < 10 ? x.toFixed(2) : x.toFixed(1);
const mb = (b: number): string => `${(b / 1048576).toFixed(1)}`;
const signedMb = (b: number): string => `${b >= 0 ? "+" : ""}${(b / 1048576).toFixed(2)}`;

/** A Markdown table; `align` has one letter per column, l or r (numbers right-aligned). */
function table(head: readonly string[], rows: readonly (readonly string[])[], align: string): string {
  const rule = head.map((_, i) => (align[i] === "r" ? "---:" : "---")).join("|");
  return [`| ${head.join(" | ")} |`, `|${rule}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

export const summary = (t: Timing): Summary => ({
  createMs: t.createMs,
  firstMs: t.firstMs,
  medianMs: median(t.runMs),
  runs: t.runMs.length,
});

const argmax = (xs: ArrayLike<number>): number => {
  let b = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[b]!) b = i;
  return b;
};

/** Compares with the reference like the Run panel's WebGL self-check (tolerance 1e-3 of max |ref|). */
export function check(ref: ArrayLike<number>, other: ArrayLike<number>): Check {
  const a = outputsAgree(ref, other);
  return { ok: a.ok, rel: a.maxDiff / Math.max(a.scale, 1e-12), top1: argmax(ref) === argmax(other) };
}
const checkText = (c: Check | null | undefined): string =>
  c == null
    ? "–"
    : `${c.ok ? "ok" : "**wrong**"} (${c.rel.toExponential(1)}${c.top1 ? "" : ", top-1 differs"})`;

function growthVerdict(
  before: Record<string, number | null>,
  after: Record<string, number | null>,
  keys: readonly string[],
): string {
  const grown = keys.filter((k) => (after[k] ?? 0) - (before[k] ?? 0) >= FLAT_BYTES);
  return grown.length === 0 ? "flat" : `grows (${grown.join(", ")})`;
}

export function printNode(
  nodeRows: readonly NodeRow[],
  cores: number,
  load: string,
  nativeWhy: string | null,
): void {
  console.log("");
  console.log(
    `Forward latency in Node ${process.version} (${cores} cores, load average ${load}), ms: onnxruntime-node (host engine, default threads) vs onnxruntime-web wasm (1 thread); median of 20 runs (10 for resnet18, mobilenet_v2):`,
  );
  if (nativeWhy !== null) console.log(`(native engine skipped: ${nativeWhy})`);
  console.log(
    table(
      [
        "model",
        "native create",
        "native first",
        "native median",
        "wasm create",
        "wasm first",
        "wasm median",
        "wasm / native",
        "wasm vs native",
      ],
      nodeRows.map((r) => [
        r.model,
        ms(r.native?.createMs),
        ms(r.native?.firstMs),
        ms(r.native?.medianMs),
        ms(r.wasm.createMs),
        ms(r.wasm.firstMs),
        ms(r.wasm.medianMs),
        r.ratio === null ? "–" : `${r.ratio.toFixed(2)}×${r.ratio > 3 ? " (> 3×)" : ""}`,
        checkText(r.check),
      ]),
      "lrrrrrrrl",
    ),
  );
  console.log(
    "create on the first model includes starting each engine; vs native: max |wasm − native| / max |native|, ok ≤ 1e-3.",
  );
}

/** A memory table: every measure present before and after, in MB, and whether any grew. */
export function printMemory(title: string, m: MemoryResult, note: string): void {
  const keys = Object.keys(m.before).filter((k) => typeof m.before[k] === "number");
  const at = (r: Record<string, number | null>, k: string): number => r[k] ?? NaN;
  console.log("");
  console.log(
    `Memory, ${m.passes} forward passes of ${title} fetching ${m.fetches.join(" + ")} (after ${m.warmup} warm-up passes and a GC; MB; ${m.msPerPass.toFixed(2)} ms/pass):`,
  );
  console.log(
    table(
      ["measure", "before", "after", "growth"],
      keys.map((k) => [
        k,
        mb(at(m.before, k)),
        mb(at(m.after, k)),
        signedMb(at(m.after, k) - at(m.before, k)),
      ]),
      "lrrr",
    ),
  );
  console.log(note);
  console.log(
    `Verdict: ${growthVerdict(m.before, m.after, keys)} (flat = every measure grew < ${FLAT_BYTES / 1048576} MB).`,
  );
}

export function printBrowser(b: BrowserResult, memoryModel: string): void {
  console.log("");
  if (b.skipped !== undefined) {
    console.log(`Headless Chromium: skipped — ${b.skipped}.`);
    return;
  }
  for (const r of b.rows ?? []) {
    const ref = b.rows?.find((x) => x.model === r.model && x.backend === "wasm")?.output;
    if (r.backend !== "wasm" && ref !== undefined && r.output !== undefined) r.check = check(ref, r.output);
  }
  for (const r of b.rows ?? []) delete r.output;
  const a = b.adapter;
  const adapter =
    a == null
      ? "no WebGPU adapter"
      : `WebGPU adapter: ${[a["vendor"], a["architecture"], a["device"], a["description"]].filter((x) => x).join(" / ") || "(no info)"}, isFallbackAdapter: ${String(a["isFallbackAdapter"])}`;
  console.log(
    `Forward latency in headless Chromium ${b.chromium} (onnxruntime-web ${b.ortEntry ?? "?"}, 1 thread; WebGL/WebGPU on SwiftShader), ms; ${adapter}:`,
  );
  console.log(
    table(
      ["model", "backend", "create", "first run", "median", "runs", "vs wasm"],
      (b.rows ?? []).map((r) =>
        r.error !== undefined
          ? [r.model, r.backend, "–", "–", "–", "0", `failed: ${r.error.replace(/\|/g, "\\|")}`]
          : [
              r.model,
              r.backend,
              ms(r.createMs),
              ms(r.firstMs),
              ms(median(r.runMs ?? [])),
              String(r.runMs?.length ?? 0),
              r.backend === "wasm" ? "reference" : checkText(r.check),
            ],
      ),
      "llrrrrl",
    ),
  );
  console.log(
    "create on the first model includes initialising the backend (wasm compile, GPU device); vs wasm: max |diff| / max |wasm|, ok ≤ 1e-3.",
  );
  if (b.memory != null)
    printMemory(
      `${memoryModel} on onnxruntime-web wasm in Chromium`,
      b.memory,
      `Measured with ${b.memory.method}.`,
    );
}

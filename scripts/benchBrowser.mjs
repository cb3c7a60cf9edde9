// The browser half of `npm run bench`: onnxruntime-web in headless Chromium, as the Run panel's
// webview uses it (ort.all.bundle.min.mjs from dist/ort, one thread, no proxy worker, page not
// cross-origin isolated), timing each backend (wasm, WebGL, WebGPU on SwiftShader) per model and
// returning its output for the caller to check against wasm, then 1,000 forward passes on wasm
// to see whether memory grows.
//
// Plain .mjs imported at run time by scripts/benchEngines.ts (not bundled into dist/bench.js): it
// reuses the e2e helpers (test/e2e/harness.mjs, scripts/ensure-tools.mjs), which read
// import.meta.url and load playwright-core from .tools/e2e. Nothing is installed here: without
// chromium or playwright-core the section is skipped with the reason.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { chromiumPath, e2eDir, repoRoot } from "./ensure-tools.mjs";
import { launchBrowser, loadPlaywright, withTimeout } from "../test/e2e/harness.mjs";
import { captureWasmMemory } from "./wasmMemory.mjs";

const ORT_DIR = path.join(repoRoot, "dist", "ort");
const ORT_ENTRY = "ort.all.bundle.min.mjs"; // what webview/run/engine.ts imports
const MIME = { ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

/** Why the browser bench cannot run here, or null. Checks only; installs nothing. */
export function browserUnavailable() {
  if (!fs.existsSync(chromiumPath)) return `${chromiumPath} is missing (apt-get install chromium)`;
  if (!fs.existsSync(path.join(e2eDir, "node_modules", "playwright-core")))
    return `playwright-core is missing: ${path.relative(repoRoot, e2eDir)} not installed (node scripts/ensure-tools.mjs --e2e)`;
  if (!fs.existsSync(path.join(ORT_DIR, ORT_ENTRY))) return "dist/ort is missing (npm run build)";
  try {
    loadPlaywright();
  } catch (err) {
    return `playwright-core does not load: ${err.message.split("\n")[0]}`;
  }
  return null;
}

/**
 * A static server on 127.0.0.1 for the page, dist/ort and the bench's own files (model bytes and
 * inputs, from memory). Same origin for everything, as in a webview; no COOP/COEP headers, so no
 * SharedArrayBuffer and wasm stays single-threaded like there.
 */
function serve(files) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    let body = files.get(url.pathname);
    if (body === undefined && url.pathname.startsWith("/ort/")) {
      const f = path.join(ORT_DIR, path.basename(url.pathname));
      if (fs.existsSync(f)) body = fs.readFileSync(f);
    }
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    const type =
      url.pathname === "/" ? MIME[".html"] : (MIME[path.extname(url.pathname)] ?? "application/octet-stream");
    res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// In the page: load onnxruntime-web once, configured as webview/run/engine.ts does.
async function pageSetup(entry) {
  if (globalThis.__ort) return;
  const ort = await import(`/ort/${entry}`);
  ort.env.wasm.wasmPaths = "/ort/";
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
  globalThis.__ort = ort;
}

/**
 * In the page: one model on one backend. Returns timings and the first output, or an error.
 * For WebGPU it requests the adapter itself (and hands it to ORT) so its info can be reported.
 * Runs are timed as the Run panel times them: session.run alone, which on WebGL/WebGPU includes
 * downloading the outputs (their preferred location is the CPU).
 */
async function pageCell({ model, backend, inputName, dims, fetches, runs, capMs }) {
  const ort = globalThis.__ort;
  let adapter = null;
  if (backend === "webgpu") {
    const a = globalThis.__adapter ?? (await navigator.gpu?.requestAdapter());
    if (!a) return { error: "no WebGPU adapter" };
    globalThis.__adapter = a;
    ort.env.webgpu.adapter = a;
    const i = a.info ?? {};
    adapter = {
      vendor: i.vendor,
      architecture: i.architecture,
      device: i.device,
      description: i.description,
      isFallbackAdapter: i.isFallbackAdapter ?? a.isFallbackAdapter ?? null,
    };
  }
  const [bytes, input] = await Promise.all(
    [`/model/${model}.onnx`, `/input/${model}.bin`].map((u) => fetch(u).then((r) => r.arrayBuffer())),
  );
  const feeds = { [inputName]: new ort.Tensor("float32", new Float32Array(input), dims) };
  const read = async (out) => {
    const t = out[fetches[0]];
    return Array.from(t.location === "cpu" ? t.data : await t.getData(), Number);
  };
  let session;
  try {
    let t0 = performance.now();
    session = await ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: [backend] });
    const create = performance.now() - t0;
    t0 = performance.now();
    const out = await session.run(feeds, fetches);
    const first = performance.now() - t0;
    const output = await read(out);
    // At least one timed run; more while under `runs` and the cap (SwiftShader runs take seconds).
    const times = [];
    const deadline = performance.now() + capMs;
    while (times.length < runs && (times.length === 0 || performance.now() < deadline)) {
      t0 = performance.now();
      await session.run(feeds, fetches);
      times.push(performance.now() - t0);
    }
    return { create, first, times, output, adapter };
  } catch (err) {
    return { error: String(err?.message ?? err).split("\n")[0], adapter };
  } finally {
    await session?.release();
  }
}

/** In the page: `passes` forward passes on wasm fetching every output, as the Run panel does. */
async function pageLoop({ model, inputName, dims, fetches, passes, phase }) {
  const ort = globalThis.__ort;
  if (phase === "open") {
    const [bytes, input] = await Promise.all(
      [`/model/${model}.onnx`, `/input/${model}.bin`].map((u) => fetch(u).then((r) => r.arrayBuffer())),
    );
    globalThis.__loop = {
      input: new Float32Array(input),
      session: await ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: ["wasm"] }),
    };
    return 0;
  }
  const { input, session } = globalThis.__loop;
  if (phase === "close") {
    await session.release();
    globalThis.__loop = undefined;
    return 0;
  }
  const t0 = performance.now();
  for (let i = 0; i < passes; i++) {
    // A fresh input tensor and copied outputs per pass, like one Run click.
    const out = await session.run({ [inputName]: new ort.Tensor("float32", input.slice(), dims) }, fetches);
    for (const name of fetches) Float32Array.from(out[name].data);
  }
  return performance.now() - t0;
}

/**
 * The page's memory in bytes, after a forced GC: JS heap from CDP (performance.memory is bucketed
 * without --enable-precise-memory-info), the wasm heap from the captured WebAssembly.Memory (not
 * in the JS heap), and measureUserAgentSpecificMemory's total where the page is cross-origin
 * isolated (a webview is not, so this is normally null).
 */
async function pageMemory(page, cdp) {
  await cdp.send("HeapProfiler.collectGarbage");
  const heap = await cdp.send("Runtime.getHeapUsage");
  const inPage = await page.evaluate(async () => ({
    wasm: globalThis.__wasmMemories.reduce((s, m) => s + m.buffer.byteLength, 0),
    ua:
      globalThis.crossOriginIsolated && performance.measureUserAgentSpecificMemory
        ? (await performance.measureUserAgentSpecificMemory()).bytes
        : null,
  }));
  return {
    jsHeapUsed: heap.usedSize,
    jsHeapTotal: heap.totalSize,
    backingStorage: heap.backingStorageSize ?? null,
    wasmMemory: inPage.wasm,
    userAgentSpecific: inPage.ua,
  };
}

/**
 * models: [{ name, bytes, input: Float32Array, inputName, dims, output, big }] in the order to run;
 * memory: { name, bytes, input, inputName, dims, fetches, passes, warmup } or null.
 * Each (model, backend) gets `capMs` for its timed runs and a hard timeout; cells after `budgetMs`
 * are skipped. Progress goes to stderr.
 */
export async function benchBrowser({ models, memory, capMs = 30_000, budgetMs = 240_000, log = () => {} }) {
  const why = browserUnavailable();
  if (why !== null) return { skipped: why };
  const files = new Map([["/", Buffer.from("<!doctype html><title>ConvLens bench</title>")]]);
  for (const m of [...models, ...(memory ? [memory] : [])]) {
    files.set(`/model/${m.name}.onnx`, m.bytes);
    files.set(`/input/${m.name}.bin`, Buffer.from(m.input.buffer, m.input.byteOffset, m.input.byteLength));
  }
  const server = await serve(files);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await launchBrowser();
  const result = { chromium: browser.version(), ortEntry: ORT_ENTRY, adapter: null, rows: [], memory: null };
  const start = Date.now();
  let page;
  const openPage = async () => {
    await page?.close().catch(() => {});
    page = await browser.newPage();
    await page.addInitScript(captureWasmMemory); // before any page script: see wasmMemory.mjs
    await page.goto(base);
    await page.evaluate(pageSetup, ORT_ENTRY);
  };
  try {
    await openPage();
    for (const m of models) {
      for (const backend of ["wasm", "webgl", "webgpu"]) {
        const row = { model: m.name, backend };
        result.rows.push(row);
        if (Date.now() - start > budgetMs) {
          row.error = "skipped (bench time budget spent)";
          continue;
        }
        // WebGL/WebGPU run on SwiftShader (CPU emulation, ~60× slower than wasm): few runs on big models.
        const runs = backend === "wasm" ? (m.big ? 10 : 20) : m.big ? 2 : 10;
        log(`browser: ${m.name} on ${backend}…`);
        const args = {
          model: m.name,
          backend,
          inputName: m.inputName,
          dims: m.dims,
          fetches: [m.output],
          runs,
          capMs,
        };
        let r;
        try {
          r = await withTimeout(page.evaluate(pageCell, args), capMs * 4, `${m.name} on ${backend}`);
        } catch (err) {
          r = { error: err.message.split("\n")[0] };
          await openPage(); // the page may still be busy with the stuck run
        }
        if (r.adapter) result.adapter ??= r.adapter;
        if (r.error !== undefined) {
          row.error = r.error;
          continue;
        }
        // The caller checks `output` against wasm's (webview/run/backend.ts outputsAgree) and drops it.
        Object.assign(row, { createMs: r.create, firstMs: r.first, runMs: r.times, output: r.output });
      }
    }
    if (memory) result.memory = await memoryLoop(memory, openPage, () => page, log);
  } finally {
    await browser.close().catch(() => {});
    server.close();
  }
  return result;
}

/** 1,000 passes on wasm in a fresh page; memory before (after a warm-up) and after. */
async function memoryLoop(m, openPage, currentPage, log) {
  await openPage();
  const page = currentPage();
  const cdp = await page.context().newCDPSession(page);
  const args = { model: m.name, inputName: m.inputName, dims: m.dims, fetches: m.fetches };
  log(`browser: ${m.passes} passes of ${m.name} on wasm…`);
  await page.evaluate(pageLoop, { ...args, phase: "open" });
  await page.evaluate(pageLoop, { ...args, passes: m.warmup, phase: "run" });
  const before = await pageMemory(page, cdp);
  const ms = await page.evaluate(pageLoop, { ...args, passes: m.passes, phase: "run" });
  const after = await pageMemory(page, cdp);
  await page.evaluate(pageLoop, { ...args, phase: "close" });
  await cdp.detach();
  const method =
    "CDP Runtime.getHeapUsage after HeapProfiler.collectGarbage (js*, backingStorage) and the size of onnxruntime's WebAssembly.Memory (wasmMemory)" +
    (before.userAgentSpecific === null
      ? "; measureUserAgentSpecificMemory unavailable (page not cross-origin isolated, as in a webview)"
      : "");
  return {
    method,
    fetches: m.fetches,
    passes: m.passes,
    warmup: m.warmup,
    msPerPass: ms / m.passes,
    before,
    after,
  };
}

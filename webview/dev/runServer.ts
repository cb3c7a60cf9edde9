/**
 * Dev harness for the Run tab (not shipped): serves the inspector page with a
 * VS Code-like CSP, and stands in for the extension host's runtime side
 * (prepareRun builds the runnable ONNX with the real core; getFilters reads
 * Conv weights). Resources come from a second port, a different origin, as
 * webview resources do in VS Code.
 *   npx esbuild webview/dev/runServer.ts --bundle --platform=node --outfile=out/preview/runServer.cjs
 *   npx esbuild webview/dev/runHost.ts --bundle --format=iife --outfile=out/preview/runHost.js
 *   npm run build:webview && node scripts/copy-ort.mjs
 *   node out/preview/runServer.cjs MODEL.onnx [PAGE_PORT]   → open http://127.0.0.1:PAGE_PORT/
 */
import { readFileSync, readdirSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { basename, extname, join, resolve } from "node:path";
import { analyzeFile } from "../../src/core/index";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { buildRunnable } from "../../src/core/onnx/runnable";
import { tensorValues } from "../../src/core/ir/tensorData";
import { INSPECTOR_STYLESHEETS, renderInspectorHtml } from "../../src/host/inspectorHtml";

const file = process.argv[2];
if (file === undefined) {
  console.error("usage: node out/preview/runServer.cjs MODEL.onnx [PAGE_PORT]");
  process.exit(2);
}
const pagePort = Number(process.argv[3] ?? "8765");
const resPort = pagePort + 1;
const page = `http://127.0.0.1:${pagePort}`;
const res = `http://127.0.0.1:${resPort}`;
const root = resolve(__dirname, "../..");
const bytes = new Uint8Array(readFileSync(file));
const analysis = analyzeFile(basename(file), bytes);
const model = readOnnx(bytes, { externalExists: () => false });
const runnables = new Map<string, Uint8Array>();
const samplesDir = join(root, "media/samples/images");
const samples = readdirSync(samplesDir)
  .filter((f) => f.endsWith(".png"))
  .map((f) => ({ name: f, uri: `${res}/media/samples/images/${f}` }));

const TYPES: Record<string, string> = {
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".png": "image/png",
  ".onnx": "application/octet-stream",
  ".json": "application/json",
};

function send(r: ServerResponse, status: number, body: string | Uint8Array, type = "text/plain"): void {
  r.writeHead(status, {
    "Content-Type": type,
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
  });
  r.end(body);
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
}

function prepareRun(layers: number[]): unknown {
  const values = layers
    .map((i) => ({ index: i, value: analysis.layers[i]?.outputs[0]?.name ?? "" }))
    .filter((l) => l.value !== "");
  const r = buildRunnable(model, { extraOutputs: values.map((v) => v.value) });
  const key = `m${runnables.size}`;
  runnables.set(key, r.bytes);
  return {
    modelUri: `${res}/runnable/${key}.onnx`,
    inputs: model.graph.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape ?? [] })),
    outputs: model.graph.outputs.map((o) => o.name),
    layers: values,
    randomWeights: r.randomWeights,
  };
}

function filters(layerIndex: number): { dims: number[]; data: number[] } {
  const layer = analysis.layers[layerIndex];
  const w = layer?.weights[0];
  const t = w === undefined ? undefined : model.graph.initializers.get(w.name);
  if (t === undefined) throw new Error(`layer ${layerIndex} has no weights`);
  const values = tensorValues(t, 1e8);
  if (values === undefined) throw new Error("weights not readable");
  return { dims: [...t.dims], data: values };
}

/** The API answers on both origins: the page's CSP only lets it fetch from the resource origin. */
async function api(url: URL, req: IncomingMessage, r: ServerResponse): Promise<boolean> {
  if (url.pathname === "/api/init") {
    const runtime = {
      ortBase: `${res}/dist/ort/`,
      backend: url.searchParams.get("backend") ?? "auto",
      samples,
      labels: null,
      imagenetLabels: readFileSync(join(root, "media/imagenet1k-labels.txt"), "utf8").trimEnd().split("\n"),
      canRun: true,
      native: { available: false, why: "the dev server has no extension host" },
    };
    send(r, 200, JSON.stringify({ file, analysis, runtime }), "application/json");
  } else if (url.pathname === "/api/prepareRun") {
    const b = (await body(req)) as { layers: number[] };
    send(r, 200, JSON.stringify(prepareRun(b.layers)), "application/json");
  } else if (url.pathname === "/api/filters") {
    send(r, 200, JSON.stringify(filters(Number(url.searchParams.get("layer")))), "application/json");
  } else return false;
  return true;
}

createServer((req, r) => {
  void (async () => {
    const url = new URL(req.url ?? "/", page);
    try {
      if (await api(url, req, r)) return;
      if (url.pathname === "/") {
        const html = renderInspectorHtml({
          cspSource: res,
          nonce: "devnonce",
          scriptUri: `${res}/dist/webview.js`,
          styleUris: INSPECTOR_STYLESHEETS.map((css) => `${res}/media/${css}`),
        });
        const stub = `<script nonce="devnonce" src="${res}/out/preview/runHost.js"></script>`;
        send(
          r,
          200,
          html.replace('<script nonce="devnonce"', `${stub}\n<script nonce="devnonce"`),
          "text/html",
        );
      } else send(r, 404, "not found");
    } catch (e) {
      send(r, 500, e instanceof Error ? e.message : String(e));
    }
  })();
}).listen(pagePort, "127.0.0.1");

createServer((req, r) => {
  void (async () => {
    const url = new URL(req.url ?? "/", res);
    try {
      if (await api(url, req, r)) return;
    } catch (e) {
      send(r, 500, e instanceof Error ? e.message : String(e));
      return;
    }
    const m = /^\/runnable\/(\w+)\.onnx$/.exec(url.pathname);
    if (m !== null) {
      const b = runnables.get(m[1] ?? "");
      send(r, b === undefined ? 404 : 200, b ?? "no such runnable", TYPES[".onnx"]);
      return;
    }
    const p = resolve(root, `.${decodeURIComponent(url.pathname)}`);
    if (!p.startsWith(root)) return send(r, 403, "outside the repo");
    try {
      send(r, 200, readFileSync(p), TYPES[extname(p)] ?? "application/octet-stream");
    } catch {
      send(r, 404, "not found");
    }
  })();
}).listen(resPort, "127.0.0.1");

console.log(`${analysis.model}: ${analysis.layers.length} layers; page ${page}/  resources ${res}/`);

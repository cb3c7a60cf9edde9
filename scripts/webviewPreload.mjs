#!/usr/bin/env node
// Part of `npm run build:webview`: reads esbuild's metafile (dist/webview.meta.json) and writes
// dist/webview-preload.json, the chunks dist/webview.js imports statically (transitively), as paths
// relative to dist/. The inspector's HTML lists them as <link rel="modulepreload">, so that the page
// fetches them with webview.js instead of after it (one resource round trip less before the script
// runs). The metafile itself is deleted: it is large and not shipped.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "dist");
const metaFile = path.join(dist, "webview.meta.json");
const meta = JSON.parse(fs.readFileSync(metaFile, "utf8"));
const entry = Object.keys(meta.outputs).find((out) => out.endsWith("/webview.js") || out === "webview.js");
if (entry === undefined) throw new Error(`${metaFile}: no webview.js among the outputs`);

const preload = [];
const seen = new Set([entry]);
const queue = [entry];
while (queue.length > 0) {
  for (const imp of meta.outputs[queue.shift()].imports ?? []) {
    if (imp.kind !== "import-statement" || seen.has(imp.path)) continue;
    seen.add(imp.path);
    queue.push(imp.path);
    preload.push(path.relative(path.dirname(entry), imp.path).split(path.sep).join("/"));
  }
}
fs.writeFileSync(path.join(dist, "webview-preload.json"), `${JSON.stringify(preload)}\n`);
fs.rmSync(metaFile);

#!/usr/bin/env node
// Copies the onnxruntime-web files the inspector's Run tab loads at run time into dist/ort/:
//   ort.all.bundle.min.mjs            the ES module the webview imports lazily (WebGPU, WebGL, wasm)
//   ort-wasm-simd-threaded.jsep.mjs   the wasm glue it imports from ort.env.wasm.wasmPaths
//   ort-wasm-simd-threaded.jsep.wasm  the runtime itself (JSEP build: wasm CPU kernels + WebGPU)
// Nothing else is requested with wasmPaths set, numThreads = 1 and proxy = false (see webview/run/engine.ts).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "node_modules", "onnxruntime-web", "dist");
const dest = path.join(root, "dist", "ort");
export const ORT_FILES = [
  "ort.all.bundle.min.mjs",
  "ort-wasm-simd-threaded.jsep.mjs",
  "ort-wasm-simd-threaded.jsep.wasm",
];

fs.rmSync(dest, { recursive: true, force: true });
fs.mkdirSync(dest, { recursive: true });
let total = 0;
for (const f of ORT_FILES) {
  const from = path.join(src, f);
  if (!fs.existsSync(from)) {
    console.error(`copy-ort: ${from} is missing (is onnxruntime-web installed?)`);
    process.exit(1);
  }
  fs.copyFileSync(from, path.join(dest, f));
  total += fs.statSync(from).size;
}
console.log(`copy-ort: ${ORT_FILES.length} files, ${(total / 1048576).toFixed(1)} MB → dist/ort/`);

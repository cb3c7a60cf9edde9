// Keeps every WebAssembly.Memory that is instantiated from now on, in globalThis.__wasmMemories,
// so the bench can report onnxruntime-web's wasm heap: it is in neither the JS heap (CDP) nor, in
// Node, process.memoryUsage().external (the threaded build's memory is shared, a SharedArrayBuffer).
// Self-contained on purpose: scripts/benchBrowser.mjs passes its source to page.addInitScript, and
// scripts/bench.ts calls it before onnxruntime-web starts. Idempotent; returns the list.
export function captureWasmMemory() {
  if (globalThis.__wasmMemories) return globalThis.__wasmMemories;
  const mems = (globalThis.__wasmMemories = []);
  const keep = (imports, result) => {
    const instance = result?.instance ?? result;
    const values = [...Object.values(instance?.exports ?? {})];
    for (const mod of Object.values(imports ?? {})) values.push(...Object.values(mod ?? {}));
    for (const v of values) if (v instanceof WebAssembly.Memory && !mems.includes(v)) mems.push(v);
    return result;
  };
  for (const fn of ["instantiate", "instantiateStreaming"]) {
    const orig = WebAssembly[fn];
    WebAssembly[fn] = function (source, imports) {
      return orig.call(this, source, imports).then((r) => keep(imports, r));
    };
  }
  return mems;
}

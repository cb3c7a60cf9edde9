/** See wasmMemory.mjs: every WebAssembly.Memory instantiated after the first call. */
export function captureWasmMemory(): WebAssembly.Memory[];

/** Bundle entry for tools/check-torchvision.mjs (esbuild tools/pythonCheck.ts → dist/pythonCheck.js). */
export { analyzePythonSource } from "../src/core/formats/python/pythonModel";
export { jsonReport } from "../src/core/analysis/report";
export { ParsedModules } from "../src/core/formats/python/moduleLoader";

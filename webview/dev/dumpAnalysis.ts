/**
 * Dev preview only: analyses a model with the real core and writes it where
 * preview.html picks it up.
 *   npx esbuild webview/dev/dumpAnalysis.ts --bundle --platform=node --outfile=out/preview/dump.cjs
 *   node out/preview/dump.cjs /work/shared/fixtures/models/resnet18.onnx
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { analyzeFile } from "../../src/core/index";

const file = process.argv[2];
if (file === undefined) {
  console.error("usage: node out/preview/dump.cjs MODEL_FILE");
  process.exit(2);
}
const analysis = analyzeFile(basename(file), new Uint8Array(readFileSync(file)));
mkdirSync("out/preview", { recursive: true });
writeFileSync("out/preview/analysis.js", `window.previewAnalysis = ${JSON.stringify(analysis)};\n`);
console.log(`${analysis.model}: ${analysis.layers.length} layers → out/preview/analysis.js`);

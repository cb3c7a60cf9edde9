/**
 * Writes test/fixtures/bad/: malformed and hostile model files. Run with
 *   npx esbuild tools/make-bad-corpus.ts --bundle --platform=node | node
 * The outputs are committed; the 100,000-node graph is built in the test itself.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeOnnx } from "../src/core/onnx/writer";
import { cyclic, hugeDims, missingProducer, negativePads, unknownOp } from "./synthetic";

const out = resolve(process.cwd(), "test/fixtures/bad");
mkdirSync(out, { recursive: true });
const lenet = readFileSync(resolve(process.cwd(), "../shared/fixtures/models/lenet5.onnx"));

// A deterministic "random" stream (xorshift) so the file is the same on every run.
let seed = 0x2545f491;
const random = new Uint8Array(4096).map(() => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed & 0xff;
});

const files: Record<string, Uint8Array> = {
  "empty.onnx": new Uint8Array(0),
  "truncated.onnx": lenet.subarray(0, Math.floor(lenet.length / 3)),
  "random.onnx": random,
  // A valid protobuf that is not a model: field 1 as a string, field 2 as a varint.
  "not-onnx-protobuf.onnx": new Uint8Array([0x0a, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x10, 0x2a]),
  "cyclic.onnx": writeOnnx(cyclic()),
  "missing-producer.onnx": writeOnnx(missingProducer()),
  "huge-dims.onnx": writeOnnx(hugeDims()),
  "negative-pads.onnx": writeOnnx(negativePads()),
  "unknown-op.onnx": writeOnnx(unknownOp()),
};
for (const [name, bytes] of Object.entries(files)) writeFileSync(join(out, name), bytes);
console.log(`wrote ${Object.keys(files).length} files to ${out}`);

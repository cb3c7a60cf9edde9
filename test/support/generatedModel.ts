/** A model a tools/ generator wrote under test/fixtures, with the ground-truth JSON beside it. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export function generatedModel<Ref>(folder: string, name: string): { bytes: Buffer; ref: Ref } {
  const dir = resolve(__dirname, "../fixtures", folder);
  return {
    bytes: readFileSync(resolve(dir, `${name}.onnx`)),
    ref: JSON.parse(readFileSync(resolve(dir, `${name}.json`), "utf8")) as Ref,
  };
}

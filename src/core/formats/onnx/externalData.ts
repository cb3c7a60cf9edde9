/**
 * Weight bytes on demand. Inline tensors are views into the model file; tensors
 * stored with data_location = EXTERNAL are read from their file only when asked
 * (shape analysis never needs them). The caller supplies the file access, so this
 * works the same in Node, the extension host's workspace.fs and tests.
 */
import { dtypeBytes } from "../../ir/dtype";
import { elementCount } from "../../ir/tensorData";
import type { Tensor } from "../../ir/types";
import { ModelError } from "../../ir/types";

export type ReadRange = (location: string, offset: number, length: number) => Promise<Uint8Array | undefined>;

/** The raw little-endian bytes of a tensor, or undefined when its data is absent (weightless model). */
export async function tensorBytes(t: Tensor, read: ReadRange): Promise<Uint8Array | undefined> {
  const s = t.storage;
  const expected = elementCount(t.dims) * dtypeBytes(t.dtype);
  switch (s.kind) {
    case "inline":
      return s.bytes;
    case "typed": {
      const out = new Uint8Array(expected);
      const view = new DataView(out.buffer);
      const n = elementCount(t.dims);
      for (let i = 0; i < n; i++) {
        const v = Number(s.values[i] ?? 0);
        if (t.dtype === "float32") view.setFloat32(i * 4, v, true);
        else if (t.dtype === "float64") view.setFloat64(i * 8, v, true);
        else if (t.dtype === "int64") view.setBigInt64(i * 8, BigInt(Math.trunc(v)), true);
        else if (t.dtype === "int32") view.setInt32(i * 4, v, true);
        else return undefined;
      }
      return out;
    }
    case "external": {
      if (s.location.includes("..") || s.location.startsWith("/"))
        throw new ModelError(
          `External data location "${s.location}" of "${t.name}" points outside the model's folder.`,
        );
      const length = s.length || expected;
      const bytes = await read(s.location, s.offset, length);
      if (bytes && bytes.byteLength !== length)
        throw new ModelError(
          `External data of "${t.name}" in ${s.location} is short: ${bytes.byteLength} of ${length} bytes.`,
        );
      return bytes;
    }
    case "none":
      return expected === 0 ? new Uint8Array(0) : undefined;
  }
}

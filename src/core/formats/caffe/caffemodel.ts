/**
 * Caffe .caffemodel weights: a binary protobuf NetParameter. Only what holds weights is
 * decoded (field numbers from Caffe's caffe.proto), everything else is skipped by wire type:
 *
 *   NetParameter      layer = 100 (LayerParameter), layers = 2 (legacy V1LayerParameter)
 *   LayerParameter    name = 1, type = 2 (string), blobs = 7
 *   V1LayerParameter  name = 4, type = 5 (enum), blobs = 6
 *   BlobProto         shape = 7 (BlobShape: dim = 1, int64), data = 5 (float),
 *                     double_data = 8, legacy num / channels / height / width = 1..4
 *
 * Blobs are matched to the .prototxt's layers by layer name, in Caffe's order per layer type.
 */
import { elementCount } from "../../ir/tensorData";
import type { Model, Tensor } from "../../ir/types";
import { ModelError } from "../../ir/types";
import type { WeightReport } from "../weights/safetensors";

export interface CaffeBlob {
  /** As stored: `shape.dim`, or the legacy [num, channels, height, width]. */
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface CaffeLayerBlobs {
  readonly name: string;
  readonly type: string;
  readonly blobs: readonly CaffeBlob[];
}

/** V1LayerParameter.LayerType values of the layers that have blobs (others are only named in messages). */
const V1_TYPES: Readonly<Record<number, string>> = {
  4: "Convolution",
  14: "InnerProduct",
  39: "Deconvolution",
};

const WIRE_VARINT = 0,
  WIRE_FIXED64 = 1,
  WIRE_BYTES = 2,
  WIRE_FIXED32 = 5;

class Damaged extends ModelError {}

/** A protobuf wire-format cursor over bytes[pos, end). */
class Cursor {
  pos: number;
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end)
      throw new Damaged(
        `${what} at byte ${this.pos} runs past the end of ${this.end === this.bytes.byteLength ? `the file (${this.end} bytes)` : `its message (byte ${this.end})`}`,
      );
  }

  /** Up to 64 bits; exact below 2^53, which covers every length, dimension and enum here. */
  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      this.need(1, "a number");
      const b = this.bytes[this.pos++] ?? 0;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    throw new Damaged(`a number at byte ${this.pos} is longer than 10 bytes`);
  }

  tag(): { field: number; wire: number } {
    const at = this.pos;
    const t = this.varint();
    const field = Math.floor(t / 8);
    const wire = t % 8;
    if (
      field === 0 ||
      (wire !== WIRE_VARINT && wire !== WIRE_FIXED64 && wire !== WIRE_BYTES && wire !== WIRE_FIXED32)
    )
      throw new Damaged(`byte ${at} is not a protobuf field tag`);
    return { field, wire };
  }

  /** A length-delimited field's bounds. */
  sub(): { start: number; end: number } {
    const n = this.varint();
    this.need(n, "a field");
    const start = this.pos;
    this.pos += n;
    return { start, end: start + n };
  }

  slice(s: { start: number; end: number }): Uint8Array {
    return this.bytes.subarray(s.start, s.end);
  }

  cursor(s: { start: number; end: number }): Cursor {
    return new Cursor(this.bytes, s.start, s.end);
  }

  fixed(n: 4 | 8): Uint8Array {
    this.need(n, "a number");
    this.pos += n;
    return this.bytes.subarray(this.pos - n, this.pos);
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_FIXED64) this.fixed(8);
    else if (wire === WIRE_FIXED32) this.fixed(4);
    else this.sub();
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian IEEE floats (protobuf's fixed32/64), copied out of the file. */
function floats(bytes: Uint8Array, double: boolean): Float32Array {
  const size = double ? 8 : 4;
  if (bytes.byteLength % size !== 0)
    throw new Damaged(`a packed ${double ? "double" : "float"} list of ${bytes.byteLength} bytes`);
  // Fast path for the common case (large float blobs on a little-endian host): one aligned copy.
  // (new Uint8Array(view) copies; a Node Buffer's slice() would not.)
  if (!double && LITTLE_ENDIAN) return new Float32Array(new Uint8Array(bytes).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / size);
  for (let i = 0; i < out.length; i++)
    out[i] = double ? view.getFloat64(i * 8, true) : view.getFloat32(i * 4, true);
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0] ?? new Float32Array(0);
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function readBlob(c: Cursor, where: string): CaffeBlob {
  let shape: number[] | undefined;
  const legacy: (number | undefined)[] = [undefined, undefined, undefined, undefined];
  const data: Float32Array[] = [];
  const doubles: Float32Array[] = [];
  while (!c.done) {
    const { field, wire } = c.tag();
    if (field === 7 && wire === WIRE_BYTES) {
      const s = c.cursor(c.sub());
      shape = [];
      while (!s.done) {
        const t = s.tag();
        if (t.field !== 1) s.skip(t.wire);
        else if (t.wire === WIRE_BYTES) {
          const packed = s.cursor(s.sub());
          while (!packed.done) shape.push(packed.varint());
        } else if (t.wire === WIRE_VARINT) shape.push(s.varint());
        else s.skip(t.wire);
      }
    } else if (field === 5 && wire === WIRE_BYTES) data.push(floats(c.slice(c.sub()), false));
    else if (field === 5 && wire === WIRE_FIXED32) data.push(floats(c.fixed(4), false));
    else if (field === 8 && wire === WIRE_BYTES) doubles.push(floats(c.slice(c.sub()), true));
    else if (field === 8 && wire === WIRE_FIXED64) doubles.push(floats(c.fixed(8), true));
    else if (field >= 1 && field <= 4 && wire === WIRE_VARINT) legacy[field - 1] = c.varint();
    else c.skip(wire);
  }
  if (!shape) shape = legacy.some((d) => d !== undefined) ? legacy.map((d) => d ?? 1) : undefined;
  const values = data.length ? concat(data) : concat(doubles.length ? doubles : [new Float32Array(0)]);
  const dims = shape ?? [values.length];
  if (dims.some((d) => d > 2 ** 31))
    throw new Damaged(`${where} has an impossible shape [${dims.join(", ")}]`);
  const count = elementCount(dims);
  if (count !== values.length)
    throw new Damaged(
      `${where} declares shape [${dims.join(", ")}] (${count} values) but holds ${values.length}`,
    );
  return { shape: dims, data: values };
}

const decoder = new TextDecoder();

function readLayer(c: Cursor, v1: boolean, index: number): CaffeLayerBlobs {
  const nameField = v1 ? 4 : 1;
  const blobsField = v1 ? 6 : 7;
  let name = "";
  let type = "";
  const blobRanges: { start: number; end: number }[] = [];
  while (!c.done) {
    const { field, wire } = c.tag();
    if (field === nameField && wire === WIRE_BYTES) name = decoder.decode(c.slice(c.sub()));
    else if (field === blobsField && wire === WIRE_BYTES) blobRanges.push(c.sub());
    else if (!v1 && field === 2 && wire === WIRE_BYTES) type = decoder.decode(c.slice(c.sub()));
    else if (v1 && field === 5 && wire === WIRE_VARINT) {
      const t = c.varint();
      type = V1_TYPES[t] ?? `V1 type ${t}`;
    } else c.skip(wire);
  }
  const label = name ? `layer "${name}"` : `layer #${index + 1}`;
  return { name, type, blobs: blobRanges.map((r, i) => readBlob(c.cursor(r), `${label}: blob ${i}`)) };
}

/** The layers of a .caffemodel with their blobs, in file order (layers without blobs included). */
export function readCaffemodel(bytes: Uint8Array): CaffeLayerBlobs[] {
  if (bytes.byteLength === 0) throw new ModelError("The .caffemodel is empty.");
  const layers: CaffeLayerBlobs[] = [];
  try {
    const c = new Cursor(bytes, 0, bytes.byteLength);
    while (!c.done) {
      const { field, wire } = c.tag();
      if ((field === 100 || field === 2) && wire === WIRE_BYTES)
        layers.push(readLayer(c.cursor(c.sub()), field === 2, layers.length));
      else c.skip(wire);
    }
  } catch (e) {
    if (e instanceof Damaged)
      throw new ModelError(`The .caffemodel is truncated or not a Caffe binary NetParameter: ${e.message}.`);
    throw e;
  }
  if (layers.length === 0)
    throw new ModelError("The .caffemodel holds no layers: not a Caffe binary NetParameter.");
  return layers;
}

/**
 * Which of a layer's IR tensors its Caffe blobs fill, in blob order ("factor" = BatchNorm's scale factor).
 */
function blobSlots(type: string): readonly string[] | undefined {
  switch (type) {
    case "Convolution":
    case "ConvolutionDepthwise":
    case "Deconvolution":
    case "InnerProduct":
    case "Scale":
      return ["weight", "bias"];
    case "Bias":
      return ["bias"];
    case "PReLU":
      return ["slope"];
    case "BatchNorm":
      return ["mean", "variance", "factor"];
    case "BN": // the fork layer: SegNet's has no statistics (the slots the prototxt lacks are dropped)
      return ["scale", "shift", "mean", "variance"];
    default:
      return undefined;
  }
}

/**
 * Shapes agree when equal once size-1 axes are dropped (legacy 4-D [1, 1, out, in] vs [out, in], PReLU [C] vs
 * [C, 1, 1]).
 */
function sameShape(stored: readonly number[], dims: readonly number[]): boolean {
  const a = stored.filter((d) => d !== 1);
  const b = dims.filter((d) => d !== 1);
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const inline = (t: Tensor, data: Float32Array): Tensor => ({
  ...t,
  storage: { kind: "inline", bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) },
});

/**
 * Fill a Caffe model's parameters from .caffemodel layers matched by name. A layer loads whole
 * or not at all; the report counts layers and names what did not fit (those run on generated weights).
 */
export function applyCaffemodel(
  model: Model,
  file: readonly CaffeLayerBlobs[],
): { model: Model; report: WeightReport } {
  // Caffe copies from every source layer of that name, so the last one with blobs wins.
  const byName = new Map<string, CaffeLayerBlobs>();
  for (const l of file) if (l.blobs.length) byName.set(l.name, l);
  const initializers = new Map(model.graph.initializers);
  const missing: string[] = [];
  const misshaped: string[] = [];
  const used = new Set<string>();
  let loaded = 0;
  const seen = new Set<string>();
  for (const node of model.graph.nodes) {
    const layer = node.layer;
    const type = node.layerType ?? "";
    if (!layer || seen.has(layer)) continue;
    seen.add(layer);
    const slots = blobSlots(type)?.filter((s) => s === "factor" || initializers.has(`${layer}.${s}`));
    if (!slots?.length) continue;
    const src = byName.get(layer);
    if (!src) {
      missing.push(layer);
      continue;
    }
    used.add(layer);
    const problem = (text: string) => misshaped.push(`${layer} (${type}): ${text}`);
    if (src.blobs.length !== slots.length) {
      problem(
        `the file has ${src.blobs.length} blob${src.blobs.length === 1 ? "" : "s"}, the prototxt needs ${slots.length} (${slots.join(", ")})`,
      );
      continue;
    }
    const fills = new Map<string, Float32Array>();
    let ok = true;
    slots.forEach((slot, i) => {
      const blob = src.blobs[i];
      const dims = slot === "factor" ? [1] : (initializers.get(`${layer}.${slot}`)?.dims ?? []);
      if (!blob || !sameShape(blob.shape, dims) || blob.data.length !== elementCount(dims)) {
        if (ok)
          problem(
            `blob ${i} (${slot}) is [${blob?.shape.join(", ") ?? ""}], the prototxt needs [${dims.join(", ")}]`,
          );
        ok = false;
        return;
      }
      fills.set(slot, blob.data);
    });
    if (!ok) continue;
    const factor = fills.get("factor");
    if (factor) {
      // Caffe keeps running sums and their weight: statistics = blob / factor (a zero factor gives zeros).
      const f = factor[0] ?? 0;
      const k = f === 0 ? 0 : 1 / f;
      for (const s of ["mean", "variance"])
        fills.set(
          s,
          (fills.get(s) ?? new Float32Array(0)).map((v) => v * k),
        );
      fills.delete("factor");
    }
    for (const [slot, data] of fills) {
      const name = `${layer}.${slot}`;
      const t = initializers.get(name);
      if (t) initializers.set(name, inline(t, data));
    }
    loaded++;
  }
  const unexpected = [...byName.keys()].filter((n) => !used.has(n));
  return {
    model: { ...model, graph: { ...model.graph, initializers } },
    report: { loaded, missing, unexpected, misshaped, unit: "layers" },
  };
}

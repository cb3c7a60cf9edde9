/**
 * What the model's first input is (an image batch, token ids, or some other
 * tensor) and how the Run tab fills it: concrete dims for symbolic ones,
 * typed or random token ids. Pure: unit-tested under Node.
 */
import { prng } from "../../src/core/random";

export interface InputDecl {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly (number | string)[];
}

export type InputKind = "image" | "tokens" | "tensor";

export interface InputSpec {
  readonly decl: InputDecl;
  readonly kind: InputKind;
  /** Image inputs: [N, C, H, W] or [N, C, D, H, W]; null = symbolic (the user chooses). */
  readonly channels: number | null;
  readonly height: number | null;
  readonly width: number | null;
  /** Frames of a video input (rank 5), else null. */
  readonly frames: number | null;
  /** Token inputs: sequence length, null = symbolic. */
  readonly length: number | null;
}

const fixed = (d: number | string | undefined): number | null =>
  typeof d === "number" && Number.isInteger(d) && d > 0 ? d : null;

const INT_DTYPES = new Set(["int64", "int32"]);

export function describeInput(decl: InputDecl): InputSpec {
  const s = decl.shape;
  const base = { decl, channels: null, height: null, width: null, frames: null, length: null };
  if (INT_DTYPES.has(decl.dtype) && s.length >= 1 && s.length <= 2)
    return { ...base, kind: "tokens", length: fixed(s[s.length - 1]) };
  if (decl.dtype === "float32" && (s.length === 4 || s.length === 5)) {
    const c = fixed(s[1]);
    if (c === null || c === 1 || c === 3) {
      const r5 = s.length === 5;
      return {
        ...base,
        kind: "image",
        channels: c,
        frames: r5 ? fixed(s[2]) : null,
        height: fixed(s[r5 ? 3 : 2]),
        width: fixed(s[r5 ? 4 : 3]),
      };
    }
  }
  return { ...base, kind: "tensor" };
}

/** The dims to feed: fixed dims as declared, batch 1, other symbols replaced by `fill` in order. */
export function concreteShape(decl: InputDecl, fill: readonly number[] = []): number[] {
  let k = 0;
  return decl.shape.map((d, i) => {
    const f = fixed(d);
    if (f !== null) return f;
    if (i === 0) return 1;
    return fill[k++] ?? 1;
  });
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Default image size for symbolic spatial dims. */
export const DEFAULT_IMAGE_SIZE = 224;
export const DEFAULT_TOKEN_LENGTH = 16;
/** Vocabulary size is not in the file: random ids come from 0..RANDOM_VOCAB-1. */
export const RANDOM_VOCAB = 1000;

export function randomIds(length: number, seed: number, vocab = RANDOM_VOCAB): number[] {
  const rand = prng(seed);
  return Array.from({ length }, () => Math.floor(rand() * vocab));
}

export type ParsedIds = { readonly ids: number[]; readonly note: string | null } | { readonly error: string };

/**
 * Ids typed as "12, 7 3": non-negative integers separated by commas or spaces.
 * With a fixed length the list is padded with 0 or cut, and the note says so.
 */
export function parseIds(text: string, length: number | null): ParsedIds {
  const parts = text.split(/[\s,;]+/).filter((p) => p !== "");
  if (parts.length === 0) return { error: "Type token ids, e.g. 1, 42, 7" };
  const ids: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return { error: `"${p}" is not a token id (a whole number ≥ 0)` };
    const v = Number(p);
    if (!Number.isSafeInteger(v)) return { error: `"${p}" is too large` };
    ids.push(v);
  }
  if (length === null || ids.length === length) return { ids, note: null };
  if (ids.length > length) return { ids: ids.slice(0, length), note: `cut to the model's ${length} tokens` };
  const padded = [...ids, ...new Array<number>(length - ids.length).fill(0)];
  return { ids: padded, note: `padded with 0 to the model's ${length} tokens` };
}

/** Token ids as the typed array onnxruntime wants for this dtype. */
export function idsTensorData(ids: readonly number[], dtype: string): BigInt64Array | Int32Array {
  if (dtype === "int32") return Int32Array.from(ids);
  return BigInt64Array.from(ids, (v) => BigInt(v));
}

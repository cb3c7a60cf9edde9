/**
 * Display formatting for the inspector: counts, bytes, shapes and receptive
 * fields. Pure functions so the table, header, charts and details all show a
 * value the same way and the unit tests can pin the exact text.
 */
import type { Dim } from "../../src/core/ir/types";
import type { RFInfo } from "../../src/core/analysis/result";
import { humanCount } from "../../src/core/analysis/report";

/** Shown for a value the analysis could not compute (an unknown dimension). */
export const UNKNOWN = "?";
/** Shown where a value does not apply (no receptive field). */
export const NOT_APPLICABLE = "—";

const BYTE_UNITS = [" B", " KiB", " MiB", " GiB", " TiB", " PiB"] as const;

/** "1.80" → "1.8", "2.00" → "2": trailing zeros add width without information. */
function trimZeros(fixed: string): string {
  return fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
}

/**
 * Scales `value` by `base` until it is below `base`, keeping three significant
 * digits. Rounding can carry into the next unit (999.6 K → 1 M), so the check
 * runs on the rounded text rather than the raw value.
 */
function scaled(value: number, base: number, units: readonly string[]): string {
  const sign = value < 0 ? "-" : "";
  let v = Math.abs(value);
  let unit = 0;
  while (v >= base && unit < units.length - 1) {
    v /= base;
    unit++;
  }
  let digits = v.toPrecision(3);
  if (Number(digits) >= base && unit < units.length - 1) {
    v /= base;
    unit++;
    digits = v.toPrecision(3);
  }
  return sign + trimZeros(String(Number(digits))) + (units[unit] ?? "");
}

/** Counts (parameters, MACs, FLOPs): the one rule the CodeLens, hints and CLI use too ("11.69 M"). */
export const formatCount: (n: number | null) => string = humanCount;

/** Byte sizes with binary units: 512 B, 3.06 MiB. */
export function formatBytes(n: number | null): string {
  if (n === null) return UNKNOWN;
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) < 1024) return `${n} B`;
  return scaled(n, 1024, BYTE_UNITS);
}

/** Exact integer with thousands separators, for tooltips: 11,689,512. */
export function formatExact(n: number | null): string {
  if (n === null) return UNKNOWN;
  // A regex, not toLocaleString: this runs for every cell of 10,000-row tables and Intl is ~50× slower.
  return Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",") : String(n);
}

/** Shape as 1×64×112×112; symbolic dims as written; unknown shape as "?". */
export function formatShape(shape: readonly Dim[] | null | undefined): string {
  if (shape === null || shape === undefined) return UNKNOWN;
  if (shape.length === 0) return "scalar";
  return shape.map((d) => String(d)).join("×");
}

/** Element count of a shape, or null when a dim is symbolic or the shape unknown. */
export function shapeElements(shape: readonly Dim[] | null | undefined): number | null {
  if (shape === null || shape === undefined) return null;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number") return null;
    n *= d;
  }
  return n;
}

/** RF numbers are integers except strides after upsampling (0.5): at most 3 decimals. */
export function formatRfNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : trimZeros(x.toFixed(3));
}

/** The three receptive-field cells of a layer plus the misalignment flag. */
export interface RfCells {
  readonly size: string;
  readonly stride: string;
  readonly start: string;
  readonly misaligned: boolean;
  /**
   * The local field is also rescaled by a channel gate that sees the whole input (squeeze-and-excitation).
   */
  readonly globalContext: boolean;
  /** First spatial axis, for sorting; null when there is no spatial field. */
  readonly first: { readonly size: number; readonly stride: number; readonly start: number } | null;
  readonly global: boolean;
}

export function rfCells(rf: RFInfo): RfCells {
  if (rf === null) {
    return {
      size: NOT_APPLICABLE,
      stride: NOT_APPLICABLE,
      start: NOT_APPLICABLE,
      misaligned: false,
      globalContext: false,
      first: null,
      global: false,
    };
  }
  if (rf.kind === "global") {
    return {
      size: "global",
      stride: NOT_APPLICABLE,
      start: NOT_APPLICABLE,
      misaligned: false,
      globalContext: false,
      first: null,
      global: true,
    };
  }
  const axes = rf.axes;
  const head = axes[0];
  return {
    size: axes.map((a) => formatRfNumber(a.size)).join("×"),
    stride: axes.map((a) => formatRfNumber(a.stride)).join("×"),
    start: axes.map((a) => formatRfNumber(a.start)).join(","),
    misaligned: rf.misaligned,
    globalContext: rf.globalContext === true,
    first: head === undefined ? null : { size: head.size, stride: head.stride, start: head.start },
    global: false,
  };
}

/** One-line receptive field for the header: "427×427", "global" or "—". */
export function formatRf(rf: RFInfo): string {
  return rfCells(rf).size;
}

/** Last path segment of a file name, for "Analysing resnet18.onnx…". */
export function baseName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] ?? file;
}

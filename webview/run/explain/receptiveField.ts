/**
 * Receptive-field geometry for the Explain views: which layers have spatial
 * units, the input rectangle a unit sees (from the analysis' rf: size, stride,
 * start per spatial axis), the centre unit of a layer, and how much of the
 * theoretical field the gradient actually uses (the effective receptive field). Pure.
 */
import type { LayerRow, RFAxis } from "../../../src/core/analysis/result";

/** A pixel rectangle: top-left corner and size (may reach outside the picture before clipping). */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Spatial dims of a layer's output ([H, W] or [L]); unknown dims count as 1. */
export function spatialDims(layer: Pick<LayerRow, "outputs">): number[] {
  return (layer.outputs[0]?.shape ?? []).slice(2).map((d) => (typeof d === "number" ? d : 1));
}

/** The centre unit's position, ⌊d/2⌋ per spatial axis (the host seeds the ERF graph there). */
export function centrePosition(dims: readonly number[]): number[] {
  return dims.map((d) => Math.floor(d / 2));
}

/**
 * The input rectangle seen by the unit at `position` (per spatial axis, as the rf axes):
 * first pixel start + p·stride, extent size. One axis is a row (x); two are (y, x).
 */
export function rfBox(axes: readonly RFAxis[], position: readonly number[]): Box {
  const along = (a: RFAxis | undefined, p: number): { start: number; size: number } =>
    a === undefined ? { start: 0, size: 1 } : { start: a.start + p * a.stride, size: a.size };
  if (axes.length === 1) {
    const x = along(axes[0], position[0] ?? 0);
    return { x: x.start, y: 0, width: x.size, height: 1 };
  }
  const y = along(axes[axes.length - 2], position[position.length - 2] ?? 0);
  const x = along(axes[axes.length - 1], position[position.length - 1] ?? 0);
  return {
    x: Math.floor(x.start),
    y: Math.floor(y.start),
    width: Math.ceil(x.size),
    height: Math.ceil(y.size),
  };
}

/** The part of a box inside a width × height picture (empty boxes have width or height 0). */
export function clipBox(box: Box, width: number, height: number): Box {
  const x0 = Math.max(0, box.x);
  const y0 = Math.max(0, box.y);
  const x1 = Math.min(width, box.x + box.width);
  const y1 = Math.min(height, box.y + box.height);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

export interface MassShare {
  /** Fewest pixels holding `fraction` of the total mass. */
  readonly pixels: number;
  /** Pixels of the theoretical field inside the picture. */
  readonly area: number;
  /** pixels / area: the share of the theoretical field the effective field fills. */
  readonly share: number;
  /** Fraction of the mass that lies inside the theoretical field. */
  readonly inside: number;
}

/**
 * The effective receptive field against the theoretical one: the fewest pixels of a
 * non-negative map (|gradient|) that hold `fraction` of its mass, as a share of the
 * theoretical field's area (clipped to the picture).
 */
export function massShare(map: ArrayLike<number>, width: number, box: Box, fraction = 0.95): MassShare {
  const values = Float64Array.from(map as ArrayLike<number>, (v) => (Number.isFinite(v) ? Math.abs(v) : 0));
  let total = 0;
  for (const v of values) total += v;
  let insideMass = 0;
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++) insideMass += values[y * width + x] ?? 0;
  const area = box.width * box.height;
  if (total === 0) return { pixels: 0, area, share: 0, inside: 0 };
  values.sort();
  let acc = 0;
  let pixels = 0;
  for (let i = values.length - 1; i >= 0 && acc < fraction * total; i--) {
    acc += values[i]!;
    pixels++;
  }
  return { pixels, area, share: area > 0 ? pixels / area : 0, inside: insideMass / total };
}

/**
 * What one explanation run produces (the runner fills it, the view draws it),
 * and the timer that adds up its graph runs, host wait and session setup.
 */
import type { LayerRow } from "../../../src/core/analysis/result";
import type { Backend } from "../../../src/protocol/messages";
import type { AscentParams } from "./ascent";
import type { ExplainMethod } from "../../../src/core/explain/methods";
import type { AscentTarget } from "./explainModel";
import type { Plane } from "./mapMath";
import type { Box, MassShare } from "./receptiveField";

export interface ExplainSpec {
  readonly method: ExplainMethod;
  readonly layer: LayerRow | null;
  /**
   * null: the channel with the largest activation (deconvnet), all channels (ERF), 0 (activation
   * maximisation).
   */
  readonly channel: number | null;
  /** null: the predicted class. */
  readonly classIndex: number | null;
  readonly target: AscentTarget;
  readonly ascent: AscentParams;
}

export interface InputImage {
  readonly dims: readonly number[];
  readonly data: Float32Array;
  /** Value range of the input tensor (pictures map it to 0…255). */
  readonly lo: number;
  readonly hi: number;
}

export interface Timing {
  readonly backend: Backend;
  /** Sum of the backward graph's session.run times. */
  readonly ms: number;
  readonly runs: number;
  readonly firstRun: boolean;
  readonly notes: readonly string[];
  readonly randomWeights: boolean;
  /** Waiting for the host to build and write the backward graphs. */
  readonly hostMs: number;
  /** Loading the graphs and creating sessions (first runs' wall time beyond session.run). */
  readonly setupMs: number;
}

export interface ExplainResult {
  readonly spec: ExplainSpec;
  readonly input: InputImage;
  /** The map as the graph returned it (Grad-CAM [H, W]; input gradients in the input's shape). */
  readonly map: { readonly dims: readonly number[]; readonly data: Float32Array | Float64Array };
  /** One plane at the input's size, for colouring. */
  readonly plane: Plane;
  readonly classIndex: number | null;
  readonly predicted: number | null;
  readonly channel: number | null;
  readonly timing: Timing;
  readonly unit?: {
    readonly channel: number;
    readonly position: readonly number[];
    readonly value: number;
    readonly box: Box;
  };
  readonly erf?: { readonly box: Box; readonly mass: MassShare; readonly samples: number };
  readonly ascent?: {
    readonly step: number;
    readonly steps: number;
    readonly gradNorm: number;
    /** Wall time per step so far (graph run, jitter, update, pictures). */
    readonly msPerStep: number;
  };
}

/** Sums the runs of one explanation. */
export class Timer {
  ms = 0;
  runs = 0;
  backend: Backend = "wasm";
  firstRun = false;
  notes: string[] = [];
  hostMs = 0;
  setupMs = 0;
  add(r: { backend: Backend; ms: number; firstRun: boolean; notes: readonly string[] }, wall: number): void {
    if (r.firstRun) this.setupMs += Math.max(0, wall - r.ms);
    this.ms += r.ms;
    this.runs++;
    this.backend = r.backend;
    this.firstRun ||= r.firstRun;
    for (const n of r.notes) if (!this.notes.includes(n)) this.notes.push(n);
  }
  done(randomWeights: boolean): Timing {
    return {
      backend: this.backend,
      ms: this.ms,
      runs: this.runs,
      firstRun: this.firstRun,
      notes: this.notes,
      randomWeights,
      hostMs: this.hostMs,
      setupMs: this.setupMs,
    };
  }
}

/**
 * Darknet's recurrent sections as single nodes of ConvLens's Darknet domain, their inner layers'
 * weights as inputs: [rnn], [gru] and [lstm] (connected layers with a carried state: rnn_layer.c,
 * gru_layer.c, lstm_layer.c), [crnn] (the same with convolutions, crnn_layer.c) and AlexeyAB's
 * [conv_lstm] and [history] (conv_lstm_layer.c).
 *
 * Rows: Darknet feeds a recurrent net batch × time_steps rows, time-major (row t·batch + b is step t
 * of sequence b), and each step of a layer reads `batch` of them with the state of the step before.
 * ConvLens analyses one row, one step of one sequence, as Darknet's load-time BFLOPs column counts
 * it; a sequence of time_steps steps costs time_steps times as much (the node's `steps` attribute).
 */
import type { AttrValue } from "../../ir/types";
import { DARKNET_DOMAIN } from "../../ops/darknetOps";
import { Unfollowed } from "./darknetCfg";
import type { SectionInput, SectionOutput } from "./darknetSpatial";

/**
 * What Darknet knows of the previous layer's output: "image" (h × w × c), or the section that made
 * a vector of c values. Darknet gives a [connected]'s and (AlexeyAB) an [rnn]'s output 1 × 1 × c
 * image sizes; [net] with only `inputs=`, [gru] and [lstm] give none.
 */
export type Produced = "image" | "net" | "connected" | "rnn" | "gru" | "lstm";

export interface RecurrentInput extends SectionInput {
  readonly produced: Produced;
  readonly timeSteps: number;
  int(key: string, dflt?: number): number;
}

export interface RecurrentOutput extends SectionOutput {
  readonly produced: Produced;
}

/** A batch-normalised inner layer's scales (learned) and rolling statistics (buffers) after its biases. */
function normalization(io: RecurrentInput, name: string, n: number): string[] {
  return [
    io.weight(`${name}.scales`, [n]),
    io.weight(`${name}.rolling_mean`, [n], "buffer"),
    io.weight(`${name}.rolling_variance`, [n], "buffer"),
  ];
}

/** An inner [connected] (make_connected_layer): weights [outputs, inputs], biases, and BN's when set. */
function connected(io: RecurrentInput, sub: string, inputs: number, outputs: number, bn: boolean): string[] {
  const name = `${io.id}.${sub}`;
  return [
    io.weight(`${name}.weights`, [outputs, inputs]),
    io.weight(`${name}.biases`, [outputs]),
    ...(bn ? normalization(io, name, outputs) : []),
  ];
}

/** Inner layers of [rnn] / [gru] / [lstm]: their names, and whether each reads the input or the state. */
const INNER: Readonly<Record<string, readonly (readonly [string, "input" | "state"])[]>> = {
  rnn: [
    ["input", "input"],
    ["self", "state"],
    ["output", "state"],
  ],
  // gru_layer.c: z, r and h gates, each an input and a state layer; all linear.
  gru: [
    ["uz", "input"],
    ["wz", "state"],
    ["ur", "input"],
    ["wr", "state"],
    ["uh", "input"],
    ["wh", "state"],
  ],
  // lstm_layer.c: f, i, g and o gates over the input (u) and the state (w); all linear.
  lstm: [
    ["uf", "input"],
    ["ui", "input"],
    ["ug", "input"],
    ["uo", "input"],
    ["wf", "state"],
    ["wi", "state"],
    ["wg", "state"],
    ["wo", "state"],
  ],
};

function connectedRecurrent(io: RecurrentInput): RecurrentOutput {
  const { s } = io;
  const output = io.int("output", 1);
  if (s.type === "rnn") {
    // pjreddie's make_rnn_layer sizes its state by output= and ignores hidden=; AlexeyAB's (and
    // pjreddie's earlier one) by hidden=, default 1. Only where they agree is the layer known.
    const hidden = io.int("hidden", 1);
    if (hidden !== output)
      throw new Unfollowed(
        `[rnn] at line ${s.line}: hidden=${s.opts.get("hidden") ?? "(unset, 1)"} is not output=${output} ` +
          "(pjreddie's Darknet sizes the state by output=, AlexeyAB's by hidden=: they build different layers)",
      );
  }
  const inputs = io.c * io.h * io.w;
  const bn = io.int("batch_normalize", 0) === 1;
  const weights = (INNER[s.type] ?? []).flatMap(([sub, reads]) =>
    connected(io, sub, reads === "input" ? inputs : output, output, bn),
  );
  const attrs: Record<string, AttrValue> = { output, steps: io.timeSteps, batch_normalize: bn ? 1 : 0 };
  if (s.type === "rnn") {
    attrs["activation"] = s.opts.get("activation") ?? "logistic";
    // AlexeyAB's self layer squashes with the logistic when logistic=1; pjreddie's ignores the key.
    attrs["logistic"] = io.int("logistic", 0);
  }
  const op = s.type === "rnn" ? "RNN" : s.type === "gru" ? "GRU" : "LSTM";
  // Darknet reads the previous output as `inputs` = c·h·w values per row; the op flattens it so.
  const out = io.emit(op, [io.prev, ...weights], attrs, DARKNET_DOMAIN);
  const produced: Produced = s.type === "rnn" ? "rnn" : s.type === "gru" ? "gru" : "lstm";
  return { out, c: output, h: 1, w: 1, produced };
}

/** [crnn]'s sizes as the fork whose keys the section uses reads them (parse_crnn differs between them). */
function crnnOptions(io: RecurrentInput) {
  const { s } = io;
  const pj = ["output_filters", "hidden_filters"].some((k) => s.opts.has(k));
  const ab = ["output", "hidden", "size", "stride", "pad", "padding", "groups", "dilation"].some((k) =>
    s.opts.has(k),
  );
  const where = `[crnn] at line ${s.line}`;
  if (pj && ab)
    throw new Unfollowed(
      `${where} mixes pjreddie's keys (output_filters=, hidden_filters=) with AlexeyAB's (output=, hidden=, size=…)`,
    );
  if (!pj && !ab)
    throw new Unfollowed(
      `${where} sets neither output_filters= / hidden_filters= (pjreddie) nor output= / hidden= (AlexeyAB): ` +
        "the two Darknets build different layers from it",
    );
  if (pj) {
    // pjreddie's parse_crnn: 3×3 convolutions, stride 1, pad 1; it passes width and height swapped.
    if (io.h !== io.w)
      throw new Unfollowed(
        `${where}: pjreddie's parse_crnn passes width and height swapped, so a ${io.h}×${io.w} input is read transposed`,
      );
    return {
      fork: "pjreddie" as const,
      hidden: io.int("hidden_filters", 1),
      output: io.int("output_filters", 1),
      size: 3,
      stride: 1,
      dilation: 1,
      padding: 1,
      groups: 1,
    };
  }
  const size = io.int("size", 3);
  return {
    fork: "AlexeyAB" as const,
    hidden: io.int("hidden", 1),
    output: io.int("output", 1),
    size,
    stride: io.int("stride", 1),
    dilation: io.int("dilation", 1),
    padding: io.int("pad", 0) ? Math.floor(size / 2) : io.int("padding", 0),
    groups: io.int("groups", 1),
  };
}

/** The previous output as an image: a vector becomes 1 × 1 only where Darknet gives it those sizes. */
function imageInput(io: RecurrentInput, flatOk: boolean): string {
  if (io.produced === "image") return io.prev;
  if (!flatOk)
    throw new Unfollowed(
      `[${io.s.type}] at line ${io.s.line} needs an image input; Darknet gives the [${io.produced}] before it no image sizes`,
    );
  return io.emit("Reshape", [io.prev, io.consts(`${io.id}.image`, [-1, io.c, 1, 1])]);
}

interface ConvOptions {
  readonly size: number;
  readonly stride: number;
  readonly dilation: number;
  readonly padding: number;
  readonly groups: number;
}

/**
 * The inner convolutions' checks (crnn_layer.c and conv_lstm_layer.c assert that the input
 * convolution's output fits the state, h × w × its channels) and their weights, named by sub-layer.
 */
function innerConvolutions(io: RecurrentInput, o: ConvOptions, channels: readonly number[]) {
  const where = `[${io.s.type}] at line ${io.s.line}`;
  const reach = o.dilation * (o.size - 1) + 1;
  const oh = Math.floor((io.h + 2 * o.padding - reach) / o.stride) + 1,
    ow = Math.floor((io.w + 2 * o.padding - reach) / o.stride) + 1;
  if (oh !== io.h || ow !== io.w)
    throw new Unfollowed(
      `${where}: its convolutions make ${io.h}×${io.w} into ${oh}×${ow}; Darknet's assert fails`,
    );
  const bad = [io.c, ...channels].find((n) => n % o.groups !== 0);
  if (bad !== undefined)
    throw new Unfollowed(`${where}: ${bad} channels are not divisible by groups=${o.groups}`);
  const bn = io.int("batch_normalize", 0) === 1;
  const conv = (sub: string, c: number, n: number): string[] => {
    const name = `${io.id}.${sub}`;
    return [
      io.weight(`${name}.weights`, [n, c / o.groups, o.size, o.size]),
      io.weight(`${name}.biases`, [n]),
      ...(bn ? normalization(io, name, n) : []),
    ];
  };
  const attrs: Record<string, AttrValue> = {
    kernel_shape: [o.size, o.size],
    strides: [o.stride, o.stride],
    pads: [o.padding, o.padding, o.padding, o.padding],
    dilations: [o.dilation, o.dilation],
    group: o.groups,
    steps: io.timeSteps,
    batch_normalize: bn ? 1 : 0,
    activation: io.s.opts.get("activation") ?? (io.s.type === "conv_lstm" ? "linear" : "logistic"),
  };
  return { conv, attrs, oh, ow };
}

function crnn(io: RecurrentInput): RecurrentOutput {
  const o = crnnOptions(io);
  const x = imageInput(io, io.produced === "connected" || (io.produced === "rnn" && o.fork === "AlexeyAB"));
  const { conv, attrs, oh, ow } = innerConvolutions(io, o, [o.hidden, o.output]);
  const out = io.emit(
    "CRNN",
    [
      x,
      ...conv("input", io.c, o.hidden),
      ...conv("self", o.hidden, o.hidden),
      ...conv("output", o.hidden, o.output),
    ],
    { ...attrs, output: o.output, hidden: o.hidden },
    DARKNET_DOMAIN,
  );
  return { out, c: o.output, h: oh, w: ow, produced: "image" };
}

/**
 * AlexeyAB's [conv_lstm] (parse_conv_lstm, make_conv_lstm_layer): convolutions uf, ui, ug, uo over
 * the input, wf, wi, wg, wo over the state h and, with peephole=1, vf, vi, vo over the cell c. The
 * CPU forward (forward_conv_lstm_layer) applies tanh to g and c whatever lstm_activation= says and
 * does not build bottleneck=1, which only the GPU forward reads: those are left unknown.
 */
function convLstm(io: RecurrentInput): RecurrentOutput {
  const { s } = io;
  const where = `[conv_lstm] at line ${s.line}`;
  if (io.int("bottleneck", 0))
    throw new Unfollowed(`${where}: bottleneck=1 is built only by Darknet's GPU forward, not its CPU one`);
  const lstmActivation = s.opts.get("lstm_activation") ?? "tanh";
  if (lstmActivation !== "tanh")
    throw new Unfollowed(
      `${where}: lstm_activation=${lstmActivation} is read by Darknet's GPU forward; its CPU forward uses tanh`,
    );
  const x = imageInput(io, io.produced === "connected" || io.produced === "rnn");
  const output = io.int("output", 1);
  const size = io.int("size", 3);
  const o: ConvOptions = {
    size,
    stride: io.int("stride", 1),
    dilation: io.int("dilation", 1),
    padding: io.int("pad", 0) ? Math.floor(size / 2) : io.int("padding", 0),
    groups: io.int("groups", 1),
  };
  const { conv, attrs, oh, ow } = innerConvolutions(io, o, [output]);
  const peephole = io.int("peephole", 0) ? 1 : 0;
  const inner = [
    ...["uf", "ui", "ug", "uo"].flatMap((sub) => conv(sub, io.c, output)),
    ...["wf", "wi", "wg", "wo", ...(peephole ? ["vf", "vi", "vo"] : [])].flatMap((sub) =>
      conv(sub, output, output),
    ),
  ];
  const out = io.emit("ConvLSTM", [x, ...inner], { ...attrs, output, peephole }, DARKNET_DOMAIN);
  return { out, c: output, h: oh, w: ow, produced: "image" };
}

/**
 * AlexeyAB's [history] (make_history_layer, forward_history_layer): the input and the
 * history_size − 1 steps before it, stacked along channels; at the first step those are zero.
 */
function history(io: RecurrentInput): RecurrentOutput {
  const size = io.int("history_size", 4);
  if (size < 1) throw new Unfollowed(`[history] at line ${io.s.line}: history_size=${size} is not positive`);
  const x = imageInput(io, io.produced === "connected" || io.produced === "rnn");
  const out = io.emit("History", [x], { history_size: size, steps: io.timeSteps }, DARKNET_DOMAIN);
  return { out, c: io.c * size, h: io.h, w: io.w, produced: "image" };
}

/** The node of a recurrent section and Darknet's sizes of its output. */
export function recurrentSection(io: RecurrentInput): RecurrentOutput {
  if (io.s.type === "crnn") return crnn(io);
  if (io.s.type === "conv_lstm") return convLstm(io);
  if (io.s.type === "history") return history(io);
  return connectedRecurrent(io);
}

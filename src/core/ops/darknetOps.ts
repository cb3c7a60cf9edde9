/**
 * Darknet layers that have no ONNX operator, as op table entries of ConvLens's own domain:
 * pjreddie's [local] (YOLOv1's locally connected layer) and the recurrent [rnn], [gru], [lstm] and
 * [crnn] (src/core/formats/darknet/darknetRecurrent.ts builds them), AlexeyAB's [conv_lstm] and
 * [history]. They are analysed like any op; those with a `lower` rule (darknetLowering.ts) run as
 * standard ops, onnxruntime cannot run the others (buildRunnable says so).
 */
import { hasSpatial } from "../fields/receptiveField";
import type { Dim } from "../ir/types";
import type { AttrSpec } from "./attrSchemas";
import { attrInt, dtypeOf, isNum, numeric, product, shapeOf } from "./dims";
import { lowerConvLstm, lowerHistory, lowerLstm, lowerRnn } from "./darknetLowering";
import { conv } from "./windowOps";
import { ShapeError, type OpContext, type OpRule, type RfContext } from "./types";

export const DARKNET_DOMAIN = "org.convlens.darknet";

/**
 * A convolution whose filters differ at every output position (local_layer.c): the weight input is
 * [positions, filters, C, k, k], the bias [filters, H_out, W_out]. Seen as a Conv with one
 * position's weights, its shape, receptive field and per-position cost are the Conv's.
 */
const asConv = <C extends OpContext>(ctx: C): C => {
  const w = ctx.inputs[1];
  return { ...ctx, inputs: [ctx.inputs[0], w?.shape ? { ...w, shape: w.shape.slice(1) } : undefined] };
};

const local: OpRule = {
  infer: (ctx) => conv.infer(asConv(ctx)),
  macs: (ctx, outs) => conv.macs?.(asConv(ctx), outs) ?? 0,
  rf: (ctx) => (typeof conv.rf === "function" ? conv.rf(asConv(ctx)) : undefined),
  weightInputs: [1, 2],
  attrs: [
    { name: "kernel_shape", type: "ints" },
    { name: "strides", type: "ints" },
    { name: "pads", type: "ints" },
  ],
};

/**
 * A recurrent layer's output mixes every earlier step's input through its state: no spatial window
 * describes it, so over an image its receptive field is unknown, with this reason (not "global").
 */
function recurrentRf(ctx: RfContext): undefined {
  if (ctx.fields.some(hasSpatial))
    throw new Error(
      `${ctx.node.opType} carries a state from step to step: its output is not a spatial window of its input`,
    );
  return undefined;
}

/**
 * Multiply-adds of one row: every inner layer's weights (rank ≥ 2; biases, scales and rolling
 * statistics are rank 1) once per output position, as Darknet's nweights × out_h × out_w.
 */
function innerMacs(ctx: OpContext, rows: Dim | undefined, positions: number): number | null {
  if (!isNum(rows)) return null;
  let perRow = 0;
  for (const w of ctx.inputs.slice(1)) {
    const s = w?.shape;
    if (!s || s.length < 2) continue;
    const n = numeric(s);
    if (!n) return null;
    perRow += n.reduce((a, b) => a * b, 1) * positions;
  }
  return rows * perRow;
}

const STEP_ATTRS: AttrSpec[] = [
  { name: "output", type: "int" },
  { name: "steps", type: "int", default: 1 },
  { name: "batch_normalize", type: "int", default: 0 },
];

/**
 * [rnn] (input, self and output connected layers), [gru] (z, r, h gates: 6 connected layers) and
 * [lstm] (f, i, g, o gates: 8): x is Darknet's rows [R, …] (R = batch × time_steps, time-major),
 * read as c·h·w values per row; the output is [R, output]. The state is the layer's own, carried
 * from the row of the step before; the first inner weights are [hidden, inputs].
 */
const connectedRecurrent: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const features = product(x.slice(1));
    const reads = ctx.inputs[1]?.shape?.[1];
    if (isNum(features) && reads !== undefined && isNum(reads) && features !== reads)
      throw new ShapeError(`${ctx.node.opType} takes ${reads} values per row but receives ${features}`, [
        features,
        reads,
      ]);
    return [{ dtype: dtypeOf(ctx), shape: [x[0] ?? 1, attrInt(ctx.node, "output", 1)] }];
  },
  macs: (ctx, outs) => innerMacs(ctx, outs[0]?.shape?.[0], 1),
  rf: recurrentRf,
  attrs: [
    ...STEP_ATTRS,
    { name: "activation", type: "string" },
    { name: "logistic", type: "int", default: 0 },
  ],
};

/**
 * [crnn]: input, self and output convolutions (weights [n, c/group, k, k] each, the state being
 * the self convolution's h × w × hidden), x [R, C, H, W] → [R, output, H, W]. Its shape is the
 * input convolution's with `output` channels; per row, every convolution's weights once per
 * output position.
 */
const crnn: OpRule = {
  infer(ctx) {
    const [y] = conv.infer({ ...ctx, inputs: ctx.inputs.slice(0, 2) });
    const s = y?.shape;
    return [
      { dtype: dtypeOf(ctx), shape: s ? [s[0] ?? 1, attrInt(ctx.node, "output", 1), ...s.slice(2)] : s },
    ];
  },
  macs(ctx, outs) {
    const out = outs[0]?.shape;
    const positions = numeric(out?.slice(2));
    if (!out || !positions) return null;
    return innerMacs(
      ctx,
      out[0],
      positions.reduce((a, b) => a * b, 1),
    );
  },
  rf: recurrentRf,
  attrs: [
    ...STEP_ATTRS,
    { name: "hidden", type: "int" },
    { name: "kernel_shape", type: "ints" },
    { name: "strides", type: "ints" },
    { name: "pads", type: "ints" },
    { name: "dilations", type: "ints" },
    { name: "group", type: "int", default: 1 },
    { name: "activation", type: "string" },
  ],
};

/**
 * AlexeyAB's [conv_lstm]: x [R, C, H, W] → [R, output, H, W] (the uf convolution's shape; the
 * state convolutions keep it). MACs as Darknet's load-time BFLOPs column counts them, halved: every
 * inner convolution's weights once per output position, plus 12 (peephole) or 9 element-wise
 * operations per output value for the gates (make_conv_lstm_layer's l.bflops), so half-integers can occur.
 */
const convLstm: OpRule = {
  infer: (ctx) => crnn.infer(ctx),
  macs(ctx, outs) {
    const convs = crnn.macs?.(ctx, outs) ?? null;
    const values = numeric(outs[0]?.shape);
    if (convs === null || !values) return null;
    const gates = attrInt(ctx.node, "peephole", 0) ? 12 : 9;
    return convs + (gates * values.reduce((a, b) => a * b, 1)) / 2;
  },
  rf: recurrentRf,
  attrs: [
    ...(crnn.attrs ?? []).filter((a) => a.name !== "hidden"),
    { name: "peephole", type: "int", default: 0 },
  ],
};

/**
 * AlexeyAB's [history]: x [R, C, H, W] → [R, C·history_size, H, W], the input and the state of the
 * steps before it; no arithmetic.
 */
const history: OpRule = {
  infer(ctx) {
    const x = shapeOf(ctx, 0);
    const c = x[1];
    const size = attrInt(ctx.node, "history_size", 4);
    return [
      {
        dtype: dtypeOf(ctx),
        shape: c !== undefined && isNum(c) ? [x[0] ?? 1, c * size, ...x.slice(2)] : undefined,
      },
    ];
  },
  rf: recurrentRf,
  attrs: [
    { name: "history_size", type: "int", default: 4 },
    { name: "steps", type: "int", default: 1 },
  ],
};

export const DARKNET_OPS: Readonly<Record<string, OpRule>> = {
  Local: local,
  RNN: { ...connectedRecurrent, lower: lowerRnn },
  GRU: connectedRecurrent,
  LSTM: { ...connectedRecurrent, lower: lowerLstm },
  CRNN: { ...crnn, lower: lowerRnn },
  ConvLSTM: { ...convLstm, lower: lowerConvLstm },
  History: { ...history, lower: lowerHistory },
};

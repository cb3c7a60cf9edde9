/**
 * Darknet .cfg reader: [net] plus layer sections, each turned into ONNX-style
 * IR nodes named by the zero-based layer index as Darknet numbers it, so every
 * analysis (shapes, cost, receptive fields) is the shared one.
 */
import type { AttrValue, Model, Node, Tensor, ValueInfo } from "../../ir/types";
import { ModelError } from "../../ir/types";
import { constantTensor, weightTensor } from "../../ir/tensorData";
import { lineSpans } from "../lineSpans";
import { ACTIVATIONS, CfgError, cfgInt as int, parseCfg, Unfollowed } from "./darknetCfg";
import { recurrentSection, type Produced } from "./darknetRecurrent";
import { fitShortcut, shortcutWeights, weightedSum } from "./darknetShortcut";
import { cropSection, localSection, reorgSection, type SectionInput } from "./darknetSpatial";
import { DARKNET_DOMAIN } from "../../ops/darknetOps";

/** Sections whose output has their input's sizes (a vector stays one). */
const KEEPS_SIZES: ReadonlySet<string> = new Set(["dropout", "softmax", "cost", "batchnorm"]);

export function readDarknet(bytes: Uint8Array): Model {
  const text = new TextDecoder().decode(bytes);
  const sections = parseCfg(text);
  const lines = lineSpans(text);
  const net = sections[0];
  if (!net || (net.type !== "net" && net.type !== "network"))
    throw new ModelError("A Darknet cfg starts with a [net] section.");
  // A net of vectors (text for [rnn]s) gives only inputs=: Darknet's h, w and c are then 0.
  const vectorNet = net.opts.has("inputs") && !["width", "height", "channels"].some((k) => net.opts.has(k));
  const width = vectorNet ? 1 : int(net, "width", 416),
    height = vectorNet ? 1 : int(net, "height", 416),
    channels = vectorNet ? int(net, "inputs") : int(net, "channels", 3);
  const timeSteps = int(net, "time_steps", 1);
  const nodes: Node[] = [];
  const initializers = new Map<string, Tensor>();
  const layerOut: string[] = [];
  const layerChannels: number[] = [];
  const layerHW: [number, number][] = [];
  let prev = "input";
  let c = channels;
  let produced: Produced = vectorNet ? "net" : "image";
  // Sizes are tracked as Darknet does, only to size [connected] weights; shapes come from the shared
  // analysis.
  let h = height,
    w = width;
  const add = (t: Tensor) => (initializers.set(t.name, t), t.name);
  const weight = (name: string, dims: number[], role: "parameter" | "buffer" = "parameter") =>
    add(weightTensor(name, dims, role));
  /** A batch norm's inputs after X: scales, the layer's biases as its shift, rolling mean and variance. */
  const norm = (id: string, n: number) => [
    weight(`${id}.scales`, [n]),
    weight(`${id}.biases`, [n]),
    weight(`${id}.rolling_mean`, [n], "buffer"),
    weight(`${id}.rolling_variance`, [n], "buffer"),
  ];
  const consts = (name: string, values: number[]) =>
    add(constantTensor(name, "int64", [values.length], values));
  /**
   * A float constant of the layer's definition (relu6's bounds, [upsample]'s scales), not a learned weight; a
   * number is a scalar.
   */
  const floats = (name: string, v: number | number[]) =>
    typeof v === "number"
      ? add(constantTensor(name, "float32", [], [v], "buffer"))
      : add(constantTensor(name, "float32", [v.length], v, "buffer"));
  const layers = sections.slice(1);
  const notes: string[] = [];
  const paramsUnknown: { path: string; reason: string }[] = [];
  /** Set once a section cannot be followed: the sizes after it are unknown, so later sections are too. */
  let unknownFrom: string | undefined;
  layers.forEach((s, i) => {
    const id = String(i);
    let k = 0;
    const emit = (
      opType: string,
      inputs: string[],
      attrs: Record<string, AttrValue> = {},
      domain = "",
    ): string => {
      const out = `${id}_${k}`;
      const def = lines[s.line - 1];
      nodes.push({
        name: `${id}/${opType}${k ? `_${k}` : ""}`,
        layer: id,
        ...(def ? { source: { def } } : {}),
        opType,
        domain,
        inputs,
        outputs: [out],
        attrs,
        layerType: s.type,
      });
      k++;
      return out;
    };
    const activation = (x: string): string => {
      const act = s.opts.get("activation") ?? "linear";
      if (!(act in ACTIVATIONS))
        throw new Unfollowed(`[${s.type}] at line ${s.line}: activation ${act} is not supported`);
      const op = ACTIVATIONS[act];
      if (op === "Clip") return emit(op, [x, floats(`${id}.min`, 0), floats(`${id}.max`, 6)]);
      return op ? emit(op, [x], op === "LeakyRelu" ? { alpha: 0.1 } : {}) : x;
    };
    const ref = (v: number): number => {
      const j = v < 0 ? i + v : v;
      if (j < 0 || j >= i)
        throw new CfgError(
          `[${s.type}] at line ${s.line} refers to layer ${v}, which does not exist before layer ${i}`,
        );
      return j;
    };
    /** The section's view of the reader now (darknetSpatial.ts). */
    const io = (): SectionInput => ({ s, id, prev, c, h, w, emit, weight, consts });
    const section = (input: Produced): string => {
      let out: string;
      switch (s.type) {
        case "convolutional": {
          const filters = int(s, "filters", 1),
            size = int(s, "size", 1),
            stride = int(s, "stride", 1),
            groups = int(s, "groups", 1);
          const pad = s.opts.has("padding") ? int(s, "padding") : int(s, "pad", 0) ? Math.floor(size / 2) : 0;
          const bn = int(s, "batch_normalize", 0) === 1;
          const inputs = [prev, weight(`${id}.weights`, [filters, c / groups, size, size])];
          if (!bn) inputs.push(weight(`${id}.biases`, [filters]));
          let y = emit("Conv", inputs, {
            kernel_shape: [size, size],
            strides: [stride, stride],
            pads: [pad, pad, pad, pad],
            group: groups,
          });
          if (bn) y = emit("BatchNormalization", [y, ...norm(id, filters)]);
          out = activation(y);
          c = filters;
          h = Math.floor((h + 2 * pad - size) / stride) + 1;
          w = Math.floor((w + 2 * pad - size) / stride) + 1;
          break;
        }
        case "local":
          ({ out, c, h, w } = localSection(io(), activation));
          break;
        case "maxpool":
        case "local_avgpool": {
          const size = int(s, "size", 1),
            stride = int(s, "stride", size);
          const padding = int(s, "padding", size - 1);
          // Darknet pads floor(padding/2) before and the rest after; [local_avgpool]'s mean counts
          // only the inputs inside.
          const pb = Math.floor(padding / 2),
            pe = padding - pb;
          const attrs = { kernel_shape: [size, size], strides: [stride, stride], pads: [pb, pb, pe, pe] };
          out =
            s.type === "maxpool"
              ? emit("MaxPool", [prev], attrs)
              : emit("AveragePool", [prev], { ...attrs, count_include_pad: 0 });
          h = Math.floor((h + padding - size) / stride) + 1;
          w = Math.floor((w + padding - size) / stride) + 1;
          break;
        }
        case "avgpool":
          out = emit("GlobalAveragePool", [prev]);
          h = w = 1;
          break;
        case "upsample": {
          const st = int(s, "stride", 2);
          // Resize takes float scales (onnxruntime refuses int64 ones).
          out = emit("Resize", [prev, "", floats(`${id}.scales`, [1, 1, st, st])], { mode: "nearest" });
          h *= st;
          w *= st;
          break;
        }
        case "reorg3d":
        case "reorg":
          ({ out, c, h, w } = reorgSection(io()));
          break;
        case "route": {
          const refs = (s.opts.get("layers") ?? "").split(",").map((v) => ref(Number(v.trim())));
          if (refs.length === 0) throw new CfgError(`[route] at line ${s.line} needs layers=`);
          const groups = int(s, "groups", 1),
            gid = int(s, "group_id", 0);
          const ins = refs.map((j) => layerOut[j] ?? "");
          c = refs.reduce((a, j) => a + (layerChannels[j] ?? 0), 0);
          [h, w] = layerHW[refs[0] ?? 0] ?? [h, w];
          out = ins.length === 1 ? emit("Identity", ins) : emit("Concat", ins, { axis: 1 });
          if (groups > 1) {
            const part = c / groups;
            out = emit("Slice", [
              out,
              consts(`${id}.starts`, [gid * part]),
              consts(`${id}.ends`, [(gid + 1) * part]),
              consts(`${id}.axes`, [1]),
            ]);
            c = part;
          }
          break;
        }
        case "shortcut": {
          // Darknet adds the overlapping channels and positions into the previous layer's tensor
          // (shortcut_cpu).
          const froms = (s.opts.get("from") ?? "-3").split(",").map((v) => ref(Number(v.trim())));
          const weighted = shortcutWeights(s.opts, `[shortcut] at line ${s.line}`, c);
          const adds = froms.map((j) => {
            const [fh, fw] = layerHW[j] ?? [h, w];
            // AlexeyAB's weighted sum adds by flat index (shortcut_multilayer_cpu), pjreddie's
            // shortcut_cpu by position: the same where only the channels differ.
            if (weighted && (fh !== h || fw !== w))
              throw new Unfollowed(
                `[shortcut] at line ${s.line}: weights between maps of different sizes (${fw}×${fh} into ` +
                  `${w}×${h}) are added by flat index in AlexeyAB's Darknet, not by position`,
              );
            const from = { c: layerChannels[j] ?? c, h: fh, w: fw };
            return fitShortcut({ emit, consts }, `${id}.${j}`, layerOut[j] ?? "", from, { c, h, w });
          });
          const y = weighted
            ? weightedSum({ emit, consts, floats }, id, [prev, ...adds], weighted.normalization, {
                name: weight(`${id}.weights`, [froms.length + 1, weighted.perLayer]),
                perLayer: weighted.perLayer,
              })
            : adds.reduce((sum, x) => emit("Add", [sum, x]), prev);
          out = activation(y);
          break;
        }
        case "sam": {
          // Spatial attention (AlexeyAB): the previous output times the `from` layer's, element by element.
          const j = ref(Number(s.opts.get("from") ?? "-1"));
          out = activation(emit("Mul", [prev, layerOut[j] ?? ""]));
          c = layerChannels[j] ?? c;
          [h, w] = layerHW[j] ?? [h, w];
          break;
        }
        case "scale_channels": {
          // The `from` layer's maps, each channel scaled by the previous layer's value for it (c×1×1).
          const j = ref(Number(s.opts.get("from") ?? "-1"));
          if (int(s, "scale_wh", 0))
            throw new Unfollowed(`[scale_channels] at line ${s.line}: scale_wh=1 is not supported`);
          out = activation(emit("Mul", [layerOut[j] ?? "", prev]));
          c = layerChannels[j] ?? c;
          [h, w] = layerHW[j] ?? [h, w];
          break;
        }
        case "batchnorm":
          out = emit("BatchNormalization", [prev, ...norm(id, c)]);
          break;
        case "crop":
          ({ out, c, h, w } = cropSection(io(), floats));
          break;
        case "rnn":
        case "gru":
        case "lstm":
        case "crnn":
        case "conv_lstm":
        case "history": {
          const r = recurrentSection({
            s,
            id,
            prev,
            c,
            h,
            w,
            produced: input,
            timeSteps,
            emit,
            weight,
            consts,
            int: (key, dflt) => int(s, key, dflt),
          });
          ({ out, c, h, w, produced } = r);
          break;
        }
        case "connected": {
          // connected_layer.c: with batch_normalize, the biases are the batch norm's shift.
          const n = int(s, "output", 1),
            bn = int(s, "batch_normalize", 0) === 1;
          const flat = emit("Flatten", [prev], { axis: 1 });
          const wts = weight(`${id}.weights`, [n, c * h * w]);
          let y = emit("Gemm", bn ? [flat, wts] : [flat, wts, weight(`${id}.biases`, [n])], { transB: 1 });
          if (bn) y = emit("BatchNormalization", [y, ...norm(`${id}`, n)]);
          out = activation(y);
          c = n;
          h = w = 1;
          produced = "connected";
          break;
        }
        case "dropout":
          out = emit("Dropout", [prev]);
          break;
        case "softmax":
          out = emit("Softmax", [prev], { axis: 1 });
          break;
        case "yolo":
        case "gaussian_yolo":
        case "region":
        case "detection":
        case "cost":
          out = emit("Identity", [prev]);
          break;
        default:
          throw new Unfollowed(`[${s.type}] at line ${s.line} is not a Darknet layer ConvLens knows`);
      }
      return out;
    };
    let out: string;
    try {
      if (unknownFrom !== undefined) throw new Unfollowed(`its input sizes are unknown after ${unknownFrom}`);
      // What Darknet knows of the input's sizes; a section that keeps them keeps it, others make images
      // unless they say otherwise.
      const before = produced;
      if (!KEEPS_SIZES.has(s.type)) produced = "image";
      out = section(before);
    } catch (e) {
      if (!(e instanceof Unfollowed)) throw e;
      // Kept in its place with an unknown output; every later size is unknown too.
      if (unknownFrom === undefined) {
        notes.push(`unknown: ${e.message}; the sizes after it are unknown.`);
        unknownFrom = `[${s.type}] at line ${s.line}`;
      }
      paramsUnknown.push({ path: id, reason: e.message });
      out = emit(`darknet.${s.type}`, [prev]);
    }
    layerOut.push(out);
    layerChannels.push(c);
    layerHW.push([h, w]);
    prev = out;
  });
  const inputs: ValueInfo[] = [
    { name: "input", dtype: "float32", shape: vectorNet ? [1, channels] : [1, channels, height, width] },
  ];
  const outputIdx = layers
    .map((s, i) => (s.type === "yolo" || s.type === "region" ? i : -1))
    .filter((i) => i >= 0);
  const outs = (outputIdx.length ? outputIdx : [layers.length - 1]).map((i) => ({
    name: layerOut[i] ?? prev,
    dtype: "float32" as const,
    shape: undefined,
  }));
  return {
    format: "darknet",
    graph: { name: "darknet", nodes, inputs, outputs: outs, initializers, valueInfo: new Map() },
    opsets: { "": 17, ...(nodes.some((n) => n.domain === DARKNET_DOMAIN) ? { [DARKNET_DOMAIN]: 1 } : {}) },
    producer: "Darknet cfg",
    irVersion: 0,
    weightless: true,
    ...(notes.length ? { notes } : {}),
    ...(paramsUnknown.length ? { paramsUnknown } : {}),
  };
}

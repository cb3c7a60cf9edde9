/**
 * Caffe layers of detection and sequence models: the SSD fork's PriorBox and DetectionOutput
 * (weiliu89/caffe), Fast R-CNN's ROIPooling, R-FCN's PSROIPooling, BVLC's Embed, LSTM and RNN.
 * All but Embed become nodes of ConvLens's Caffe domain (ops/caffeOps.ts: no ONNX operator matches
 * them; an LSTM's gates are stored i, f, o, g where ONNX wants i, o, f, c, so its weights never feed
 * ONNX's LSTM). Embed is an ONNX Gather on its weight. Returns undefined for a type it does not know.
 */
import type { AttrValue } from "../../ir/types";
import { CAFFE_DOMAIN } from "../../ops/caffeOps";
import { knownShape, unsupportedVariant } from "./caffeNet";
import type { moreLayers } from "./caffeMoreLayers";

const flag = (v: unknown, dflt: boolean): number => ((v ?? dflt) === true || v === 1 ? 1 : 0);

/** Same contract as moreLayers: the layer's outputs, or undefined for a type it does not know. */
export const ssdRecurrentLayers: typeof moreLayers = (net, l, type, name, b) => {
  const x = b[0] ?? "";
  const caffeNode = (inputs: string[], attrs: Record<string, AttrValue>) =>
    net.node(name, type, type, inputs, attrs, 1, CAFFE_DOMAIN);
  const shape = () => knownShape(net, l, name, x);
  const unsupported = (what: string): never => unsupportedVariant(l, type, name, what);
  switch (type) {
    case "PriorBox": {
      const p = l.msg("prior_box_param");
      const step = p?.num("step") ?? 0;
      return caffeNode(b, {
        min_sizes: p?.nums("min_size") ?? [],
        max_sizes: p?.nums("max_size") ?? [],
        aspect_ratios: p?.nums("aspect_ratio") ?? [],
        flip: flag(p?.first("flip"), true),
        clip: flag(p?.first("clip"), false),
        variances: p?.nums("variance") ?? [],
        step_h: p?.num("step_h") ?? step,
        step_w: p?.num("step_w") ?? step,
        offset: p?.num("offset") ?? 0.5,
      });
    }
    case "DetectionOutput": {
      const p = l.msg("detection_output_param");
      const nms = p?.msg("nms_param");
      return caffeNode(b, {
        num_classes: p?.num("num_classes") ?? 0,
        share_location: flag(p?.first("share_location"), true),
        background_label_id: p?.num("background_label_id") ?? 0,
        nms_threshold: nms?.num("nms_threshold") ?? 0.3,
        top_k: nms?.num("top_k") ?? -1,
        keep_top_k: p?.num("keep_top_k") ?? -1,
        confidence_threshold: p?.num("confidence_threshold") ?? 0,
      });
    }
    case "ROIPooling": {
      // rbgirshick/caffe-fast-rcnn's roi_pooling_param (pooled_h, pooled_w default 0; spatial_scale 1).
      const p = l.msg("roi_pooling_param");
      if (b.length !== 2) unsupported(`with ${b.length} bottoms (it takes the features and the rois)`);
      return caffeNode(b, {
        pooled_h: p?.num("pooled_h") ?? 0,
        pooled_w: p?.num("pooled_w") ?? 0,
        spatial_scale: p?.num("spatial_scale") ?? 1,
      });
    }
    case "PSROIPooling": {
      // daijifeng001/caffe-rfcn's psroi_pooling_param: all three fields required.
      const p = l.msg("psroi_pooling_param");
      if (b.length !== 2) unsupported(`with ${b.length} bottoms (it takes the score maps and the rois)`);
      return caffeNode(b, {
        spatial_scale: p?.num("spatial_scale") ?? 0,
        output_dim: p?.num("output_dim") ?? 0,
        group_size: p?.num("group_size") ?? 0,
      });
    }
    case "Embed": {
      // One-hot rows of a [input_dim, num_output] table: the indices arrive as floats in Caffe.
      const p = l.msg("embed_param");
      const rows = p?.num("input_dim") ?? 0,
        out = p?.num("num_output") ?? 0;
      const idx = net.node(name, type, "Cast", [x], { to: 7 })[0] ?? "";
      const y = net.node(name, type, "Gather", [net.weight(`${name}.weight`, [rows, out]), idx])[0] ?? "";
      if (p?.first("bias_term") === false) return [y];
      return net.node(name, type, "Add", [y, net.weight(`${name}.bias`, [out])]);
    }
    case "LSTM":
    case "RNN": {
      const p = l.msg("recurrent_param");
      if (b.length !== 2) unsupported("with a static input (x_static)");
      if (p?.first("expose_hidden") === true) unsupported("with expose_hidden");
      const h = p?.num("num_output") ?? 0;
      const s = shape();
      const i = s.slice(2).reduce((a, v) => a * v, 1);
      const w = (suffix: string, dims: number[]) => net.weight(`${name}.${suffix}`, dims);
      // Caffe's blob order: LSTM W_xc, b_c, W_hc; RNN W_xh, b_h, W_hh, W_ho, b_o.
      const weights =
        type === "LSTM"
          ? [w("W_xc", [4 * h, i]), w("b_c", [4 * h]), w("W_hc", [4 * h, h])]
          : [w("W_xh", [h, i]), w("b_h", [h]), w("W_hh", [h, h]), w("W_ho", [h, h]), w("b_o", [h])];
      return caffeNode([...b, ...weights], { num_output: h });
    }
    default:
      return undefined;
  }
};

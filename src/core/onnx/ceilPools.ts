/**
 * MaxPool with ceil_mode = 1 rewritten as the same MaxPool in floor mode with more end padding,
 * before a model is run: onnxruntime-web's WebGPU EP does not implement ceil_mode ("not yet
 * implemented"), so GoogLeNet and SqueezeNet could not run on the GPU. Max pooling pads with
 * −∞, so windows reaching into the extra padding see exactly the elements the ceil-mode window
 * sees. The output size comes from the analysis (the op table's ceil rule, checked against
 * PyTorch), so a last window that PyTorch drops stays dropped.
 */
import { analyzeModel } from "../analysis/analyze";
import type { Model, Node } from "../ir/types";

export function floorCeilPools(model: Model): Node[] {
  const nodes = model.graph.nodes;
  const ceil = (n: Node) => n.opType === "MaxPool" && n.attrs["ceil_mode"] === 1;
  if (!nodes.some(ceil)) return [...nodes];
  const rows = new Map(analyzeModel(model, { modelName: "runnable" }).layers.map((l) => [l.id, l]));
  return nodes.map((node) => {
    if (!ceil(node)) return node;
    const row = rows.get(node.name);
    const x = row?.inputs[0]?.shape;
    const y = row?.outputs[0]?.shape;
    const k = node.attrs["kernel_shape"];
    if (!x || !y || !Array.isArray(k) || typeof node.attrs["auto_pad"] === "string") return node;
    const n = k.length;
    const s = (node.attrs["strides"] as number[] | undefined) ?? new Array<number>(n).fill(1);
    const d = (node.attrs["dilations"] as number[] | undefined) ?? new Array<number>(n).fill(1);
    const pads = [...((node.attrs["pads"] as number[] | undefined) ?? new Array<number>(2 * n).fill(0))];
    for (let i = 0; i < n; i++) {
      const xi = x[i + 2],
        yi = y[i + 2];
      if (typeof xi !== "number" || typeof yi !== "number") return node;
      // Floor mode gives yi outputs when the padded extent reaches the last window's end.
      const need = (yi - 1) * (s[i] ?? 1) + ((Number(k[i]) || 1) - 1) * (d[i] ?? 1) + 1;
      const have = xi + (pads[i] ?? 0) + (pads[i + n] ?? 0);
      if (need > have) pads[i + n] = (pads[i + n] ?? 0) + need - have;
    }
    return { ...node, attrs: { ...node.attrs, ceil_mode: 0, pads } };
  });
}

/**
 * Dev preview only: a made-up ModelAnalysis of any size, for checking the
 * inspector with 10,000 layers without a model file.
 */
import type { LayerRow, ModelAnalysis } from "../../src/core/analysis/result";

const OPS = ["Conv", "BatchNormalization", "Relu", "Conv", "Add", "Relu"] as const;

export function syntheticAnalysis(layerCount: number): ModelAnalysis {
  const layers: LayerRow[] = [];
  let rf = 1;
  let stride = 1;
  for (let i = 0; i < layerCount; i++) {
    const stage = Math.floor(i / 600);
    const block = Math.floor(i / 6);
    const op = OPS[i % OPS.length] ?? "Relu";
    const isConv = op === "Conv";
    if (isConv) rf += 2 * stride;
    if (isConv && i % 600 === 0 && stride < 32) stride *= 2;
    const side = Math.max(7, 112 >> Math.min(stage, 4));
    const channels = 64 << Math.min(stage, 3);
    const macs = isConv ? channels * channels * 9 * side * side : 0;
    const moduleName = isConv ? `conv${(i % 6) + 1}` : op === "Relu" ? "relu" : op === "Add" ? "" : "bn";
    const blockPath = `stage${stage}.${block}`;
    const name = moduleName === "" ? blockPath : `${blockPath}.${moduleName}`;
    layers.push({
      index: i,
      id: `/stage${stage}/${blockPath}/${op}_${i}`,
      name,
      groups: [`stage${stage}`, blockPath, ...(moduleName === "" ? [] : [name])],
      opType: op,
      inputs: [{ name: `t${i - 1}`, dtype: "float32", shape: [1, channels, side, side] }],
      outputs: [{ name: `t${i}`, dtype: "float32", shape: [1, channels, side, side] }],
      params: isConv ? channels * channels * 9 : op === "BatchNormalization" ? 4 * channels : 0,
      macs,
      flops: 2 * macs,
      outputBytes: 4 * channels * side * side,
      rf: {
        kind: "spatial",
        axes: [
          { size: rf, stride, start: -Math.floor(rf / 2) },
          { size: rf, stride, start: -Math.floor(rf / 2) },
        ],
        misaligned: false,
      },
      attrs: isConv ? { kernel_shape: "3×3", strides: "1×1", pads: "1,1,1,1" } : {},
      weights: isConv ? [{ name: `w${i}`, shape: [channels, channels, 3, 3] }] : [],
      predecessors: i === 0 ? [] : op === "Add" && i >= 5 ? [i - 1, i - 5] : [i - 1],
      warnings: [],
    });
  }
  const sum = (f: (l: LayerRow) => number): number => layers.reduce((s, l) => s + f(l), 0);
  return {
    model: `synthetic_${layerCount}`,
    format: "ONNX",
    producer: "preview",
    opset: 17,
    irVersion: 8,
    weightless: true,
    inputs: [{ name: "input", dtype: "float32", shape: ["N", 64, 112, 112] }],
    outputs: [{ name: "output", dtype: "float32", shape: ["N", 512, 7, 7] }],
    totals: {
      params: sum((l) => l.params),
      macs: sum((l) => l.macs ?? 0),
      flops: sum((l) => l.flops ?? 0),
      activationBytes: sum((l) => l.outputBytes ?? 0),
      peakActivationBytes: 2 * Math.max(...layers.map((l) => l.outputBytes ?? 0)),
    },
    finalRf: layers[layers.length - 1]?.rf ?? null,
    layers,
    warnings: ["symbol N counted as 1", "synthetic model for the dev preview"],
    analysisMs: 0,
  };
}

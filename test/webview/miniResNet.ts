/**
 * A hand-written ModelAnalysis for the view-model tests: a two-block ResNet
 * stem small enough to check every row and node by hand, plus a helper to
 * write other layers tersely.
 */
import type { LayerRow, ModelAnalysis, RFInfo } from "../../src/core/analysis/result";

export const spatial = (size: number, stride: number, start: number, misaligned = false): RFInfo => ({
  kind: "spatial",
  axes: [
    { size, stride, start },
    { size, stride, start },
  ],
  misaligned,
});

let nextIndex = 0;

/** Layers get consecutive indexes; call before building a new list. */
export function resetLayerIndex(): void {
  nextIndex = 0;
}

export function layer(
  name: string,
  opType: string,
  groups: string[],
  predecessors: number[],
  extra: Partial<Pick<LayerRow, "params" | "macs" | "outputBytes" | "rf">> & {
    shape?: (number | string)[] | null;
  } = {},
): LayerRow {
  const macs = extra.macs === undefined ? 0 : extra.macs;
  return {
    index: nextIndex++,
    id: `/${name.replaceAll(".", "/")}/${opType}`,
    name,
    groups,
    opType,
    // Layers without predecessors read the model input; the rest read their predecessors' outputs.
    inputs: predecessors.length === 0 ? [{ name: "input", dtype: "float32", shape: [1, 3, 224, 224] }] : [],
    outputs: [
      {
        name: `${name}_out`,
        dtype: "float32",
        shape: extra.shape === undefined ? [1, 64, 56, 56] : extra.shape,
      },
    ],
    params: extra.params ?? 0,
    macs,
    flops: macs === null ? null : 2 * macs,
    outputBytes: extra.outputBytes === undefined ? 802816 : extra.outputBytes,
    rf: extra.rf === undefined ? null : extra.rf,
    attrs: {},
    weights: [],
    predecessors,
    warnings: [],
  };
}

/** A two-block ResNet stem, small enough to check every row by hand. */
export function miniResNet(): ModelAnalysis {
  nextIndex = 0;
  const layers: LayerRow[] = [
    layer("conv1", "Conv", ["conv1"], [], {
      params: 9408,
      macs: 118013952,
      shape: [1, 64, 112, 112],
      rf: spatial(7, 2, -3),
    }),
    layer("relu", "Relu", ["relu"], [0], { shape: [1, 64, 112, 112], rf: spatial(7, 2, -3) }),
    layer("maxpool", "MaxPool", ["maxpool"], [1], { rf: spatial(11, 4, -5) }),
    layer("layer1.0.conv1", "Conv", ["layer1", "layer1.0", "layer1.0.conv1"], [2], {
      params: 36864,
      macs: 115605504,
      rf: spatial(19, 4, -9),
    }),
    layer("layer1.0.relu", "Relu", ["layer1", "layer1.0", "layer1.0.relu"], [3], { rf: spatial(19, 4, -9) }),
    layer("layer1.0.conv2", "Conv", ["layer1", "layer1.0", "layer1.0.conv2"], [4], {
      params: 36864,
      macs: 115605504,
      rf: spatial(27, 4, -13),
    }),
    layer("layer1.0.add", "Add", ["layer1", "layer1.0"], [5, 2], { rf: spatial(27, 4, -13, true) }),
    layer("layer1.1.conv1", "Conv", ["layer1", "layer1.1", "layer1.1.conv1"], [6], {
      params: 36864,
      macs: null,
      shape: ["N", 64, 56, 56],
      outputBytes: null,
    }),
    layer("layer1.1.add", "Add", ["layer1", "layer1.1"], [7, 6]),
    layer("avgpool", "GlobalAveragePool", ["avgpool"], [8], { shape: [1, 64, 1, 1], rf: { kind: "global" } }),
    layer("fc", "Gemm", ["fc"], [9], {
      params: 65000,
      macs: 64000,
      shape: [1, 1000],
      rf: { kind: "global" },
    }),
  ];
  return {
    model: "mini_resnet",
    format: "ONNX",
    producer: "pytorch 2.5",
    opset: 17,
    irVersion: 8,
    weightless: false,
    inputs: [{ name: "input", dtype: "float32", shape: [1, 3, 224, 224] }],
    outputs: [{ name: "logits", dtype: "float32", shape: [1, 1000] }],
    totals: {
      params: 185000,
      macs: null,
      flops: null,
      activationBytes: 123456789,
      peakActivationBytes: null,
    },
    finalRf: spatial(27, 4, -13),
    layers,
    warnings: ["symbol N counted as 1"],
    analysisMs: 3,
  };
}

/**
 * Op kinds for the graph's colours: a reader tells convolutions from
 * normalisation, activations, pooling and plumbing at a glance. Keyed by the
 * ONNX op type, and by the framework's layer type for source-defined models
 * (PyTorch `Conv2d`, Keras `Dense`), since either may be what a layer shows.
 */
export type OpKind = "conv" | "norm" | "activation" | "pool" | "linear" | "elementwise" | "reshape" | "other";

/** Legend order and wording. */
export const OP_KINDS: readonly { readonly kind: OpKind; readonly label: string }[] = [
  { kind: "conv", label: "Convolution" },
  { kind: "norm", label: "Normalisation" },
  { kind: "activation", label: "Activation" },
  { kind: "pool", label: "Pooling" },
  { kind: "linear", label: "Linear / MatMul" },
  { kind: "elementwise", label: "Elementwise" },
  { kind: "reshape", label: "Reshape / plumbing" },
  { kind: "other", label: "Other" },
];

const KIND_OF_OP: Readonly<Record<string, OpKind>> = {};
function assign(kind: OpKind, ops: string): void {
  for (const op of ops.split(/\s+/).filter((o) => o !== ""))
    (KIND_OF_OP as Record<string, OpKind>)[op] = kind;
}
assign("conv", "Conv ConvTranspose ConvInteger QLinearConv DeformConv Conv1d Conv2d Conv3d ConvTranspose1d");
assign(
  "conv",
  "ConvTranspose2d ConvTranspose3d Conv1D Conv2D Conv3D Conv2DTranspose DepthwiseConv2D SeparableConv2D",
);
assign("conv", "Convolution Deconvolution convolutional");
assign(
  "norm",
  "BatchNormalization InstanceNormalization LayerNormalization GroupNormalization LpNormalization",
);
assign(
  "norm",
  "LRN MeanVarianceNormalization RMSNormalization SkipLayerNormalization BatchNorm1d BatchNorm2d",
);
assign("norm", "BatchNorm3d LayerNorm GroupNorm InstanceNorm2d LocalResponseNorm BatchNorm Scale");
assign("activation", "Relu LeakyRelu PRelu Elu Selu Celu Gelu Sigmoid HardSigmoid Tanh Softplus Softsign");
assign("activation", "HardSwish Mish ThresholdedRelu Clip Softmax LogSoftmax Hardmax ReLU ReLU6 SiLU GELU");
assign("activation", "Hardswish Hardsigmoid Softmax2d LeakyReLU PReLU ELU Activation TanH ReLU6 QuickGelu");
assign("pool", "MaxPool AveragePool GlobalAveragePool GlobalMaxPool LpPool GlobalLpPool MaxRoiPool RoiAlign");
assign("pool", "MaxUnpool MaxPool1d MaxPool2d MaxPool3d AvgPool1d AvgPool2d AvgPool3d AdaptiveAvgPool2d");
assign("pool", "AdaptiveMaxPool2d MaxPooling2D AveragePooling2D GlobalAveragePooling2D GlobalMaxPooling2D");
assign("pool", "Pooling maxpool avgpool");
assign("linear", "Gemm MatMul MatMulInteger QLinearMatMul Einsum Linear Dense InnerProduct connected");
assign("elementwise", "Add Sub Mul Div Pow Sqrt Exp Log Abs Neg Reciprocal Max Min Mean Sum Where Equal");
assign(
  "elementwise",
  "Greater Less And Or Not Xor Erf Floor Ceil Round Sign Cos Sin Dropout Eltwise shortcut",
);
assign(
  "reshape",
  "Reshape Flatten Transpose Concat Split Slice Squeeze Unsqueeze Identity Constant Shape Gather",
);
assign(
  "reshape",
  "Expand Tile Pad Cast ConstantOfShape Resize Upsample DepthToSpace SpaceToDepth GatherElements",
);
assign("reshape", "ScatterND Range Size Unflatten Flatten2d Permute Concatenate route upsample Crop");

/** The kind of a layer: its framework type when it has one the table knows, else its op type. */
export function opKindOf(opType: string, layerType?: string): OpKind {
  return (layerType === undefined ? undefined : KIND_OF_OP[layerType]) ?? KIND_OF_OP[opType] ?? "other";
}

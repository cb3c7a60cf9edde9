/**
 * Keras layer constructors' arguments as `get_config()` names (`Conv2D(32, 3)` is filters=32,
 * kernel_size=3), the merge functions' layer classes and Keras's default layer names: what the Keras
 * runtime (keras.ts) needs to record a layer as Keras would save it.
 */

const CONV = [
  "filters",
  "kernel_size",
  "strides",
  "padding",
  "data_format",
  "dilation_rate",
  "groups",
  "activation",
  "use_bias",
];
const CONV_T = [
  "filters",
  "kernel_size",
  "strides",
  "padding",
  "data_format",
  "dilation_rate",
  "activation",
  "use_bias",
];
const DEPTHWISE = [
  "kernel_size",
  "strides",
  "padding",
  "depth_multiplier",
  "data_format",
  "dilation_rate",
  "activation",
  "use_bias",
];
const SEPARABLE = [
  "filters",
  "kernel_size",
  "strides",
  "padding",
  "data_format",
  "dilation_rate",
  "depth_multiplier",
  "activation",
  "use_bias",
];
const POOL = ["pool_size", "strides", "padding", "data_format"];
const GLOBAL_POOL = ["data_format", "keepdims"];
const RNN = ["units", "activation", "recurrent_activation", "use_bias"];

/**
 * Positional parameters of each layer constructor (Keras 3 signatures), so that `Conv2D(32, 3)` reads as
 * filters=32, kernel_size=3.
 */
export const POSITIONAL: Readonly<Record<string, readonly string[]>> = {
  Conv1D: CONV,
  Conv2D: CONV,
  Conv3D: CONV,
  Conv1DTranspose: CONV_T,
  Conv2DTranspose: CONV_T,
  Conv3DTranspose: CONV_T,
  DepthwiseConv1D: DEPTHWISE,
  DepthwiseConv2D: DEPTHWISE,
  SeparableConv1D: SEPARABLE,
  SeparableConv2D: SEPARABLE,
  Dense: ["units", "activation", "use_bias"],
  MaxPooling1D: POOL,
  MaxPooling2D: POOL,
  MaxPooling3D: POOL,
  AveragePooling1D: POOL,
  AveragePooling2D: POOL,
  AveragePooling3D: POOL,
  GlobalAveragePooling1D: GLOBAL_POOL,
  GlobalAveragePooling2D: GLOBAL_POOL,
  GlobalAveragePooling3D: GLOBAL_POOL,
  GlobalMaxPooling1D: GLOBAL_POOL,
  GlobalMaxPooling2D: GLOBAL_POOL,
  GlobalMaxPooling3D: GLOBAL_POOL,
  Flatten: ["data_format"],
  Dropout: ["rate", "noise_shape", "seed"],
  BatchNormalization: ["axis", "momentum", "epsilon", "center", "scale"],
  LayerNormalization: ["axis", "epsilon", "center", "scale"],
  Activation: ["activation"],
  ReLU: ["max_value", "negative_slope", "threshold"],
  LeakyReLU: ["negative_slope"],
  ELU: ["alpha"],
  Softmax: ["axis"],
  Embedding: ["input_dim", "output_dim"],
  Reshape: ["target_shape"],
  Permute: ["dims"],
  RepeatVector: ["n"],
  ZeroPadding1D: ["padding"],
  ZeroPadding2D: ["padding", "data_format"],
  ZeroPadding3D: ["padding", "data_format"],
  Cropping1D: ["cropping"],
  Cropping2D: ["cropping", "data_format"],
  Cropping3D: ["cropping", "data_format"],
  UpSampling1D: ["size"],
  UpSampling2D: ["size", "data_format", "interpolation"],
  UpSampling3D: ["size", "data_format"],
  Concatenate: ["axis"],
  Rescaling: ["scale", "offset"],
  LSTM: RNN,
  GRU: RNN,
  SimpleRNN: ["units", "activation", "use_bias"],
  Bidirectional: ["layer", "merge_mode", "weights", "backward_layer"],
  TimeDistributed: ["layer"],
  InputLayer: ["shape", "batch_size", "dtype"],
};

/** The functional forms of the merge layers: `layers.add([a, b])` is `layers.Add()([a, b])`. */
export const MERGE_FUNCTIONS: Readonly<Record<string, string>> = {
  add: "Add",
  subtract: "Subtract",
  multiply: "Multiply",
  average: "Average",
  maximum: "Maximum",
  minimum: "Minimum",
  concatenate: "Concatenate",
};

/**
 * Default layer names as Keras makes them (its to_snake_case): Conv2D → conv2d, ReLU → re_lu, SimpleRNN →
 * simple_rnn.
 */
export function snake(type: string): string {
  return type
    .replace(/(.)([A-Z][a-z0-9]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

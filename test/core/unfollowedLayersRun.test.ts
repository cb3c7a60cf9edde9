/**
 * A layer a reader could not follow stays in the graph with no op rule (its outputs unknown). Running
 * such a model is refused in one line naming the layer, before onnxruntime would reject it with
 * "No Op registered for caffe.Weird".
 */
import { describe, expect, it } from "vitest";
import { readModel } from "../../src/core/formats/registry";
import { buildRunnable } from "../../src/core/onnx/runnable";

const text = (s: string) => new TextEncoder().encode(s);

describe("running a model with a layer ConvLens could not read", () => {
  it.each([
    [
      "weird.prototxt",
      'name: "x"\ninput: "data"\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n' +
        'layer { name: "w" type: "Weird" bottom: "data" top: "w" }\n',
      /^Cannot run: layer "w" \(Weird\) is not one ConvLens can read/,
    ],
    [
      "implicit.cfg",
      "[net]\nheight=8\nwidth=8\nchannels=3\n\n[convolutional]\nfilters=4\nsize=3\nstride=1\npad=1\n" +
        "activation=leaky\n\n[implicit]\nfilters=4\n",
      /^Cannot run: layer "1" \(implicit\) is not one ConvLens can read/,
    ],
  ])("%s is refused naming the layer", (file, source, why) => {
    const model = readModel(file, text(source));
    expect(() => buildRunnable(model)).toThrow(why);
  });

  it("a model whose layers are all read still builds", () => {
    const source =
      'name: "x"\ninput: "data"\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n' +
      'layer { name: "r" type: "ReLU" bottom: "data" top: "r" }\n';
    expect(buildRunnable(readModel("relu.prototxt", text(source))).bytes.length).toBeGreaterThan(0);
  });
});

/**
 * Keras source whose layer arguments are computed at run time (issue 14 item 3): the model opens with
 * that layer unknown and its reason, everything after it unknown, and the known parameters counted; where
 * the model cannot be built, the error says which value stopped it — never "the model has no outputs" alone.
 * Expected counts are by hand from Keras's formulas: Conv2D(8, 3) on 3 channels has 3·3·3·8 + 8 = 224.
 */
import { describe, expect, it } from "vitest";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

function classes(lines: string[]) {
  return analyzePythonSource(lines.join("\n"), { fileName: "m.py" }).classes;
}

describe("Keras layer arguments that are not constants", () => {
  it("a Conv2D whose filters come from an unfollowed call is unknown with its reason; the model opens", () => {
    const [model] = classes([
      "import keras",
      "from keras import layers",
      "from mylib import width",
      "inputs = keras.Input(shape=(16, 16, 3))",
      "x = layers.Conv2D(8, 3, name='known')(inputs)",
      "x = layers.Conv2D(width(), 1, name='block_1_expand')(x)",
      "x = layers.GlobalAveragePooling2D()(x)",
      "x = layers.Dense(10, name='predictions')(x)",
      "model = keras.Model(inputs, x, name='net')",
    ]);
    expect(model?.error).toBeUndefined();
    const a = model?.analysis;
    expect(a?.warnings.join("\n")).toMatch(
      /Conv2D "block_1_expand": filters is not a constant \(module mylib is not available\)/,
    );
    // The known convolution is counted; the totals say what they leave out.
    expect(a?.totals.params).toBe(3 * 3 * 3 * 8 + 8);
    expect(a?.totals.paramsUnknown?.map((u) => u.path)).toEqual([
      "block_1_expand",
      "global_average_pooling2d",
      "predictions",
    ]);
    expect(a?.outputs[0]?.shape ?? null).toBeNull();
  });
  it("an output the source could not compute names the value that stopped it", () => {
    const [model] = classes([
      "import keras",
      "from keras import layers",
      "from mylib import width",
      "def block(x):",
      "    if width() == 8:",
      "        return layers.ReLU()(x)",
      "    return x",
      "inputs = keras.Input(shape=(16, 16, 3))",
      "x = layers.Conv2D(8, 3, name='stem')(inputs)",
      "x = block(x)",
      "x = layers.Dense(10)(x)",
      "model = keras.Model(inputs, x, name='net')",
    ]);
    expect(model?.error).toMatch(/^the model's output is unknown \(.*if width\(\) == 8/);
    expect(model?.error).not.toMatch(/no outputs/);
  });
});

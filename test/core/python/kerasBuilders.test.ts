/**
 * Keras models built in functions, Keras-applications style (imports from keras.src, a
 * keras_export decorator, imagenet_utils.obtain_input_shape, Functional(inputs, x)), chosen
 * by the module-level calls; messages that speak Keras in Keras files; and one row per Keras
 * layer in every CLI output format. Expected parameter counts are published ones: VGG16
 * 138,357,544 with its top and 14,714,688 without (Keras applications; torchvision's vgg16 has
 * the same 138,357,544).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";
import { readFileSync } from "node:fs";

const FILE = resolve(__dirname, "../../fixtures/python/keras_app_vgg16.py");

describe("Keras applications-style builders", () => {
  const result = analyzePythonSource(readFileSync(FILE, "utf8"), { fileName: "keras_app_vgg16.py" });
  it("finds the models the module-level calls build, named as Keras names them", () => {
    expect(result.classes.map((c) => [c.name, c.error])).toEqual([
      ["vgg16", undefined],
      ["features", undefined],
    ]);
  });
  it("VGG16 with its top: 138,357,544 params, 224×224×3 from obtain_input_shape", () => {
    const a = result.classes.find((c) => c.name === "vgg16")?.analysis;
    expect(a?.totals.params).toBe(138_357_544);
    expect(a?.inputs[0]?.shape).toEqual([1, 224, 224, 3]);
    expect(a?.outputs[0]?.shape).toEqual([1, 1000]);
  });
  it("VGG16 without its top, average-pooled at 64×64: 14,714,688 params", () => {
    const a = result.classes.find((c) => c.name === "features")?.analysis;
    expect(a?.totals.params).toBe(14_714_688);
    expect(a?.outputs[0]?.shape).toEqual([1, 512]);
  });
});

describe("f-string fields as Python formats them", () => {
  // Keras names MobileNetV2 f"mobilenetv2_{alpha:0.2f}_{rows}": keras.io's summary prints
  // mobilenetv2_1.00_224. The other names are what CPython 3 prints for the same f-strings.
  const src = [
    "from keras import layers, Model",
    "def build(alpha=1.0, rows=224):",
    "    inputs = layers.Input(shape=(8,))",
    '    x = layers.Dense(4, name=f"dense_{alpha}_{0.1234:.1%}_{1234567:,}_{7:03d}_{2.5:e}")(inputs)',
    '    return Model(inputs, x, name=f"mobilenetv2_{alpha:0.2f}_{rows}")',
    "model = build()",
  ].join("\n");
  const result = analyzePythonSource(src, { fileName: "fstrings.py" });
  it("keeps a float's .0 and applies number format specs", () => {
    expect(result.classes.map((c) => c.name)).toEqual(["mobilenetv2_1.00_224"]);
    const names = result.classes[0]?.analysis?.layers.map((l) => l.name);
    expect(names).toContain("dense_1.0_12.3%_1,234,567_007_2.500000e+00");
  });
});

describe("CLI on Keras sources", () => {
  let out = "";
  beforeEach(() => {
    out = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  });
  afterEach(() => vi.restoreAllMocks());

  it.each(["table", "csv", "md"])(
    "--format %s has one row per Keras layer, as the JSON does",
    async (format) => {
      expect(await main(["summary", FILE, "--class", "features", "--format", "json"])).toBe(0);
      const names = (JSON.parse(out) as { layers: { name: string }[] }).layers.map((l) => l.name);
      out = "";
      expect(await main(["summary", FILE, "--class", "features", "--format", format])).toBe(0);
      const rows = out.split("\n").filter((line) => /^\|? ?block\d_conv\d\b/.test(line));
      // 13 convolutions, each once (not Transpose, Conv, Transpose rows).
      expect(rows).toHaveLength(13);
      expect(names.filter((n) => /^block\d_conv\d$/.test(n))).toHaveLength(13);
    },
  );

  it("a Keras file with no model says so in Keras terms", async () => {
    const dir = mkdtempSync(join(tmpdir(), "convlens-keras-"));
    const file = join(dir, "empty.py");
    writeFileSync(file, "import keras\nfrom keras import layers\nconv = layers.Conv2D(8, 3)\n");
    let err = "";
    vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
    expect(await main(["summary", file])).not.toBe(0);
    expect(err).toMatch(/no Keras model found: .*keras\.Sequential.*keras\.Model/);
    expect(err).not.toMatch(/nn\.Module/);
  });
});

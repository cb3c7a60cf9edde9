/**
 * A Keras source's `backend()` and `image_data_format()` are not decided by the file (KERAS_BACKEND and
 * ~/.keras/keras.json are, where it runs): they are answered with the chosen backend (convlens.kerasBackend,
 * --keras-backend; Keras's default tensorflow) and channels_last, and an answer used is a note on the model.
 * NASNetMobile as Keras 3.15.1 publishes it raises under the torch backend (its own `if backend.backend() ==
 * "torch": raise ValueError`), and builds under tensorflow (kerasApplications.test.ts checks its numbers).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli";
import type { KerasBackendChoice } from "../../../src/core/formats/python/kerasAssumptions";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

/** A Dense whose width follows the backend: 3 → 4 is 16 params under torch, 3 → 8 is 32 otherwise. */
const BRANCHING = [
  "import keras",
  "from keras import backend, layers",
  "units = 4 if backend.backend() == 'torch' else 8",
  "model = keras.Sequential([keras.Input((3,)), layers.Dense(units)])",
].join("\n");

function read(source: string, kerasBackend?: KerasBackendChoice) {
  return analyzePythonSource(source, { fileName: "m.py", ...(kerasBackend ? { kerasBackend } : {}) });
}

function model(source: string, kerasBackend?: KerasBackendChoice) {
  const m = read(source, kerasBackend).classes.find((c) => c.name === "sequential");
  if (!m?.analysis) throw new Error(m?.error ?? "no model");
  return { ...m, analysis: m.analysis };
}

describe("Keras backend(): the chosen backend, said", () => {
  it("answers Keras's default tensorflow when nothing is chosen, and says it assumed it", () => {
    const m = model(BRANCHING);
    expect(m.analysis.totals.params).toBe(3 * 8 + 8);
    expect(m.assumptions).toEqual([
      "assuming the tensorflow backend (Keras's default): the code asks backend()",
    ]);
    expect(m.analysis.warnings).toContain(m.assumptions?.[0]);
  });

  it("answers the chosen backend (the other branch is taken) and names where it was chosen", () => {
    const m = model(BRANCHING, { name: "torch", from: "the convlens.kerasBackend setting" });
    expect(m.analysis.totals.params).toBe(3 * 4 + 4);
    expect(m.analysis.warnings).toContain(
      "assuming the torch backend (the convlens.kerasBackend setting): the code asks backend()",
    );
  });

  it("keras.config.backend() (Keras 3) is answered the same way", () => {
    const source = BRANCHING.replace(
      "from keras import backend, layers",
      "from keras import config, layers",
    ).replace("backend.backend()", "config.backend()");
    expect(model(source, { name: "jax", from: "KERAS_BACKEND" }).assumptions).toEqual([
      "assuming the jax backend (KERAS_BACKEND): the code asks backend()",
    ]);
    expect(model(source.replace("config.backend()", "keras.config.backend()")).analysis.totals.params).toBe(
      32,
    );
  });

  it("a file that does not ask has no assumption note", () => {
    const m = model(
      ["import keras", "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])"].join("\n"),
    );
    expect(m.assumptions).toBeUndefined();
    expect(m.analysis.warnings.filter((w) => w.startsWith("assuming"))).toEqual([]);
  });

  it("image_data_format() is Keras's default channels_last, and says so", () => {
    const source = [
      "import keras",
      "from keras import backend, layers",
      "axis = 1 if backend.image_data_format() == 'channels_first' else -1",
      "model = keras.Sequential([keras.Input((8, 8, 3)), layers.BatchNormalization(axis=axis)])",
    ].join("\n");
    const m = model(source);
    expect(m.analysis.totals.params).toBe(4 * 3);
    expect(m.assumptions?.join("\n")).toMatch(
      /^assuming the "channels_last" image data format \(Keras's default/,
    );
  });
});

describe("set_image_data_format: layers built after it take it, as Keras's do", () => {
  // Conv2D(4, 3) on a 3×8×8 (channels-first) input: 4×6×6 and 3·3·3·4 + 4 = 112 params; read channels-last
  // (8×3 images of 8 channels) it would be 8·3·3·4 + 4 = 292 params and no valid output.
  const cf = (setter: string) =>
    [
      "import keras",
      "from keras import layers",
      setter,
      "model = keras.Sequential([keras.Input((3, 8, 8)), layers.Conv2D(4, 3), layers.MaxPooling2D(2)])",
    ].join("\n");
  const shapeOf = (m: ReturnType<typeof model>) => m.analysis.outputs[0]?.shape;

  it.each([
    "keras.config.set_image_data_format('channels_first')",
    "keras.backend.set_image_data_format('channels_first')",
  ])("%s: the conv and pool run channels first", (setter) => {
    const m = model(cf(setter));
    expect(m.analysis.totals.params).toBe(3 * 3 * 3 * 4 + 4);
    expect(shapeOf(m)).toEqual([1, 4, 3, 3]);
    expect(m.assumptions).toBeUndefined();
  });

  it("image_data_format() answers what the source set, with no assumption note", () => {
    const source = [
      "import keras",
      "from keras import backend, layers",
      "backend.set_image_data_format('channels_first')",
      "axis = 1 if backend.image_data_format() == 'channels_first' else -1",
      "model = keras.Sequential([keras.Input((3, 8, 8)), layers.BatchNormalization(axis=axis)])",
    ].join("\n");
    const m = model(source);
    expect(m.analysis.totals.params).toBe(4 * 3);
    expect(m.assumptions).toBeUndefined();
  });

  it("a layer's own data_format wins, and a format not known here makes the layer unknown, not guessed", () => {
    const own = cf("keras.config.set_image_data_format('channels_first')").replace(
      "layers.Conv2D(4, 3), layers.MaxPooling2D(2)",
      "layers.Permute((2, 3, 1)), layers.Conv2D(4, 3, data_format='channels_last')",
    );
    expect(shapeOf(model(own))).toEqual([1, 6, 6, 4]);
    const r = read(cf("import os\nkeras.config.set_image_data_format(os.environ['FMT'])"));
    const m = r.classes.find((c) => c.name === "sequential");
    expect(m?.analysis?.totals.params).not.toBe(3 * 3 * 3 * 4 + 4);
    expect(JSON.stringify(m)).toMatch(/set_image_data_format was given a value that is not known here/);
  });
});

describe("NASNetMobile as Keras publishes it", () => {
  const dir = resolve(__dirname, "../../fixtures/keras/published");
  const file = resolve(dir, "nasnet.py");
  const source = readFileSync(file, "utf8");
  const line = source.split("\n").findIndex((l) => l.startsWith("model = NASNetMobile")) + 1;

  it("under torch: Keras's own ValueError, on the line that builds it, with the assumed backend", () => {
    const r = analyzePythonSource(source, {
      fileName: file,
      kerasBackend: { name: "torch", from: "--keras-backend" },
    });
    const m = r.classes.find((c) => c.name === "model");
    expect(m?.analysis).toBeUndefined();
    expect(m?.error).toMatch(
      new RegExp(
        `^cannot build model \\(line ${line}\\): .*NASNetMobile is not available with the torch backend`,
      ),
    );
    expect(m?.error).toContain("(assuming the torch backend (--keras-backend): the code asks backend()");
  });
});

describe("convlens summary --keras-backend", () => {
  let out = "";
  let err = "";
  beforeEach(() => {
    out = "";
    err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });
  it("reads the flag, else KERAS_BACKEND, and says the assumption on stderr for JSON", async () => {
    const path = resolve(mkdtempSync(resolve(tmpdir(), "convlens-kb-")), "m.py");
    writeFileSync(path, BRANCHING);
    vi.stubEnv("KERAS_BACKEND", "");
    expect(await main(["summary", path, "--format", "json", "--keras-backend", "torch"])).toBe(0);
    expect((JSON.parse(out) as { totals: { params: number } }).totals.params).toBe(16);
    expect(err).toContain("note: assuming the torch backend (--keras-backend)");
    out = err = "";
    vi.stubEnv("KERAS_BACKEND", "torch");
    expect(await main(["summary", path, "--format", "json"])).toBe(0);
    expect((JSON.parse(out) as { totals: { params: number } }).totals.params).toBe(16);
    expect(err).toContain("note: assuming the torch backend (KERAS_BACKEND; --keras-backend changes it)");
    out = err = "";
    vi.stubEnv("KERAS_BACKEND", "");
    expect(await main(["summary", path])).toBe(0);
    expect(out).toContain(
      "warning: assuming the tensorflow backend (Keras's default; --keras-backend changes it)",
    );
    expect(await main(["summary", path, "--keras-backend", "theano"])).toBe(2);
    expect(err).toMatch(/unknown --keras-backend "theano"/);
  });
});

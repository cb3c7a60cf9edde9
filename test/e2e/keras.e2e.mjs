// End-to-end tests of Keras models: a .keras archive opens in the inspector by default
// (custom editor convlens.inspector) and its layer table shows the recurrent layers' Keras
// numbers; a Keras Sequential in Python source gets inlay shape hints on its layer lines and
// the model CodeLens. Expected values: test/fixtures/keras/imdb_bilstm.published.json (keras.io),
// imdb_bilstm.expected.json (tools/make_keras_refs.py), python/keras_vgg.expected.json
// (tools/make_keras_source_refs.py). run.mjs copies the .keras, keras_vgg.py and keras_resnet.py into the
// workspace.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { norm, poll, PATIENCE } from "./editorText.mjs";
import {
  closeAllEditors,
  openFile,
  openInWebview,
  readLayerTable,
  readTotal,
  runCommand,
  waitForInspector,
} from "./workbench.mjs";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/keras");
const json = (f) => JSON.parse(fs.readFileSync(path.join(FIXTURES, f), "utf8"));
/** Polls the joined texts from `read` until they contain every string of `want`; returns the last texts. */
const pollAll = async (read, want, timeoutMs = 15_000) =>
  norm((await poll(read, (v) => want.every((w) => norm(v).includes(w)), timeoutMs)) ?? "");

/** Opens a Keras source file alone and waits for the line that builds its model. */
async function openKerasSource(page, file, modelLine) {
  await closeAllEditors(page);
  await openFile(page, file);
  await page
    .locator(".part.editor .view-line", { hasText: modelLine })
    .first()
    .waitFor({ state: "visible", timeout: PATIENCE * 15_000 });
}

export const tests = [
  {
    name: "imdb_bilstm.keras opens in the inspector: the Bidirectional LSTM's output shape and Keras parameter count",
    async run({ page, screenshot, log }) {
      const published = json("imdb_bilstm.published.json");
      await closeAllEditors(page);
      await openInWebview(page, "imdb_bilstm.keras", { log });
      const frame = await waitForInspector(page, "imdb_bilstm");
      assert.equal(
        await readTotal(frame, "total-params"),
        published.totals.params,
        "total-params data-value (keras.io: 2,757,761)",
      );
      const rows = await readLayerTable(frame);
      for (const name of ["bidirectional", "bidirectional_1"]) {
        // A Keras layer is several IR nodes (transposes, the ONNX LSTM, …): its rows share its name.
        const mine = rows.filter((r) => r.name === name);
        assert.ok(
          mine.some((r) => r.cells.op?.text.includes("LSTM")),
          `${name}: an LSTM row (ops: ${mine.map((r) => r.cells.op?.text).join(", ")})`,
        );
        const params = mine.reduce((a, r) => a + Number(r.cells.params?.value ?? NaN), 0);
        const want = published.layers.find((l) => l.name === name);
        assert.equal(params, want.params, `${name}: params over its rows`);
        // The time axis of this model is None in the file (variable-length reviews); the batch counts as 1.
        const shape = want.output_shape.map((d, i) => (d === null ? (i === 0 ? 1 : "None") : d)).join("×");
        assert.equal(mine[mine.length - 1].cells.shape?.text, shape, `${name}: output shape of its last row`);
      }
      await screenshot("keras-imdb-bilstm");
    },
  },
  {
    name: "keras_vgg.py: Keras Sequential in source, inlay shape hints on layers.Conv2D lines and the model CodeLens",
    async run({ page, screenshot }) {
      const expected = JSON.parse(
        fs.readFileSync(path.resolve(FIXTURES, "../python/keras_vgg.expected.json"), "utf8"),
      );
      const shape = (name) => expected.layers.find((l) => l.name === name).output_shape.join("×");
      await openKerasSource(page, "keras_vgg.py", "keras.Sequential(");
      // Channels-last shapes after each block's convolutions: 28×28×32, 14×14×64, 7×7×128.
      const convLines = () =>
        page
          .locator(".part.editor .view-line", { hasText: "layers.Conv2D(" })
          .allTextContents()
          .then((t) => t.join("\n"));
      const wants = ["conv2d", "conv2d_2", "conv2d_4"].map((n) => `→ ${shape(n)}`);
      const text = await pollAll(convLines, wants);
      for (const w of wants)
        assert.ok(text.includes(w), `a layers.Conv2D line with the hint "${w}": ${JSON.stringify(text)}`);
      const pool = await pollAll(
        () =>
          page
            .locator(".part.editor .view-line", { hasText: 'layers.MaxPooling2D(2, padding="same")' })
            .first()
            .textContent(),
        [`→ ${shape("max_pooling2d_2")}`],
      );
      assert.ok(
        pool.includes(`→ ${shape("max_pooling2d_2")}`),
        `"same" 2×2 max pool on 7×7 keeps 4×4: ${JSON.stringify(pool)}`,
      );
      // The model CodeLens sits above the keras.Sequential( call.
      const lens = await pollAll(
        () =>
          page
            .locator(".part.editor .codelens-decoration")
            .allTextContents()
            .then((t) => t.join("\n")),
        ["ConvLens:"],
      );
      assert.ok(
        lens.includes("ConvLens: 813.55 k params · 29.65 MMACs"),
        `model CodeLens (813,546 params, 29,654,016 MACs): ${JSON.stringify(lens)}`,
      );
      await screenshot("keras-source-vgg-hints");
    },
  },
  {
    name: "keras_vgg.py in the inspector speaks Keras: Conv2D / MaxPooling2D / Dense rows, the model and its file",
    async run({ page, screenshot }) {
      await openKerasSource(page, "keras_vgg.py", "keras.Sequential(");
      // The file builds one model: the command opens it without asking.
      await runCommand(page, "ConvLens: Inspect Model Class");
      const frame = await waitForInspector(page, "vgg_style", 30_000);
      const rows = await readLayerTable(frame);
      const opsOf = (name) =>
        rows.filter((r) => r.name === name).map((r) => norm(r.cells.op?.text ?? "").trim());
      // keras_vgg.py: layers.Conv2D(32, (3, 3), padding="same", activation="relu"): the convolution (run
      // channels-first between two transposes) and its activation, each row saying which node it is.
      assert.deepEqual(
        opsOf("conv2d"),
        ["Conv2D · Transpose", "Conv2D · Conv", "Conv2D · Transpose", "Conv2D · Relu"],
        "ops of layer conv2d",
      );
      assert.ok(
        opsOf("max_pooling2d").every((op) => op.startsWith("MaxPooling2D")),
        "ops of max_pooling2d",
      );
      assert.ok(
        opsOf("dense").length > 0 && opsOf("dense").every((op) => op.startsWith("Dense")),
        `ops of dense: ${JSON.stringify(opsOf("dense"))}`,
      );
      const ops = rows.map((r) => norm(r.cells.op?.text ?? "").trim());
      assert.ok(!ops.includes("Conv") && !ops.includes("MaxPool"), `no bare ONNX op: ${JSON.stringify(ops)}`);
      const meta = norm(await frame.locator('[data-testid="model-meta"]').textContent()).trim();
      assert.equal(meta, "— keras_vgg.py · Keras", "the header names the file and Keras, not the ONNX IR");
      await screenshot("keras-source-inspector-names");
    },
  },
  {
    name: "published mobilenet_v2.py (Keras applications) in the inspector: Keras's own parameter total",
    async run({ page, screenshot }) {
      // keras/src/applications/mobilenet_v2.py as Keras ships it, plus `model = MobileNetV2(weights=None)`;
      // the expected total is model.count_params() of that file run by Keras (tools/make_keras_app_refs.py).
      const expected = json("published/mobilenet_v2.keras.json");
      // The appended line is far below the first screen: wait for an import line instead.
      await openKerasSource(page, "mobilenet_v2.py", "from keras.src.models import Functional");
      await runCommand(page, "ConvLens: Inspect Model Class");
      const frame = await waitForInspector(page, expected.model, 60_000);
      assert.equal(expected.totals.params, 3_538_984, "the keras.io figure for MobileNetV2");
      assert.equal(await readTotal(frame, "total-params"), expected.totals.params, "total-params");
      await screenshot("keras-published-mobilenet-v2");
    },
  },
  {
    name: "keras_resnet.py (functional API) in the inspector: values named by the variables they are bound to",
    async run({ page, screenshot }) {
      // keras_resnet.py: inputs = keras.Input(…, name="image"); x = layers.Conv2D(…)(inputs) …
      // x = layers.MaxPooling2D(3, strides=2, padding="same")(x) … outputs = layers.Dense(10, …)(x)
      const expected = JSON.parse(
        fs.readFileSync(path.resolve(FIXTURES, "../python/keras_resnet.expected.json"), "utf8"),
      );
      const shape = (name) =>
        expected.layers
          .find((l) => l.name === name)
          .output_shape.map((d) => d ?? 1)
          .join("×");
      await openKerasSource(page, "keras_resnet.py", "keras.Model(");
      await runCommand(page, "ConvLens: Inspect Model Class");
      const frame = await waitForInspector(page, "resnet_style", 30_000);
      const io = norm(await frame.locator("header .io").textContent());
      assert.ok(
        io.includes("inputs: 1×64×64×3 float32"),
        `header input by its variable: ${JSON.stringify(io)}`,
      );
      assert.ok(io.includes(`outputs: ${shape("dense")} float32`), `header output: ${JSON.stringify(io)}`);
      // The max pool's row: its output is the x the source binds it to; layer names stay Keras'.
      await frame.locator('tr[data-layer-name="max_pooling2d"]').last().click();
      const outputs = frame.locator('[data-testid="details"] .details-section', { hasText: "Outputs" });
      await outputs.waitFor({ timeout: PATIENCE * 10_000 });
      const [key, value] = [await outputs.locator("dt").first(), await outputs.locator("dd").first()];
      assert.equal(norm(await key.textContent()).trim(), "x", "max_pooling2d's output by its variable");
      assert.equal(
        norm(await value.textContent()).trim(),
        `${shape("max_pooling2d")} float32`,
        "max_pooling2d's output shape (Keras' summary)",
      );
      await screenshot("keras-functional-inspector-values");
    },
  },
];

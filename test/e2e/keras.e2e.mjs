// End-to-end test of Keras model files: a .keras archive opens in the inspector by default
// (custom editor convlens.inspector) and its layer table shows the recurrent layers' Keras
// numbers. Expected values: test/fixtures/keras/imdb_bilstm.published.json (keras.io) and
// imdb_bilstm.expected.json (tools/make_keras_refs.py). run.mjs copies the .keras into the workspace.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { closeAllEditors, openInWebview, readLayerTable, readTotal, waitForInspector } from "./workbench.mjs";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/keras");
const json = (f) => JSON.parse(fs.readFileSync(path.join(FIXTURES, f), "utf8"));

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
];

// End-to-end tests of the text model definitions (Darknet .cfg, Caffe .prototxt): shape hints
// after layer headers, the totals CodeLens, and the inspector opened from the palette.
// Workspace files are written here from test/fixtures (copies of the committed fixtures).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { sleep } from "./harness.mjs";
import { closeAllEditors, openFile, pickQuickItem, readTotal, runCommand, waitForInspector } from "./workbench.mjs";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures");
const norm = (s) => (s ?? "").replace(/\u00a0/g, " ");

async function pollText(read, want, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last = norm(await read().catch(() => ""));
    if (last.includes(want)) return last;
    await sleep(250);
  }
  return last;
}

function copyInto(workspace, rel) {
  fs.copyFileSync(path.join(FIXTURES, rel), path.join(workspace, path.basename(rel)));
}

export const tests = [
  {
    name: "yolov3-tiny.cfg: shape hints after layer headers and the totals CodeLens",
    async run({ page, screenshot, workspace }) {
      copyInto(workspace, "darknet/yolov3-tiny.cfg");
      const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, "darknet/yolov3-tiny.expected.json"), "utf8"));
      await closeAllEditors(page);
      await openFile(page, "yolov3-tiny.cfg");
      // Layer 0 is the first [convolutional]: its hint follows the header line.
      const first = expected.layers[0].output_shape.join("×");
      const hint = await pollText(() => page.locator(".part.editor .view-line", { hasText: "[convolutional]" }).first().textContent(), `→ ${first}`);
      assert.ok(hint.includes(`→ ${first}`), `hint after the first [convolutional]: "${hint}"`);
      const lens = await pollText(() => page.locator(".part.editor .codelens-decoration").first().textContent(), "params");
      assert.ok(/ConvLens: 8\.85 M params · 2\.78 GMACs/.test(lens), `totals CodeLens: "${lens}"`);
      await screenshot("darknet-yolov3-tiny");
    },
  },
  {
    name: 'caffenet_v1.prototxt opens in the inspector from "ConvLens: Inspect Model"',
    async run({ page, screenshot, workspace }) {
      copyInto(workspace, "caffe/caffenet_v1.prototxt");
      const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, "caffe/caffenet_v1.expected.json"), "utf8"));
      await closeAllEditors(page);
      await runCommand(page, "ConvLens: Inspect Model");
      await pickQuickItem(page, "caffenet_v1.prototxt");
      const frame = await waitForInspector(page, "caffenet_v1", 30_000);
      assert.equal(await readTotal(frame, "total-params"), expected.totals.params, "total-params data-value");
      assert.equal(await readTotal(frame, "total-macs"), expected.totals.macs, "total-macs data-value");
      const conv2 = frame.locator('tr[data-layer-name="conv2"] td[data-col="shape"]').first();
      assert.equal((await conv2.textContent()).trim(), expected.layers.find((l) => l.name === "conv2").output_shape.join("×"), "conv2 output shape");
      await screenshot("caffe-caffenet-inspector");
    },
  },
];

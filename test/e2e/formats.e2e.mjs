// End-to-end tests of the text model definitions (Darknet .cfg, Caffe .prototxt): shape hints
// after layer headers, the totals CodeLens, and the inspector opened from the palette, each
// format both ways. Workspace files are copies of the committed fixtures: written here, or by
// run.mjs before VS Code starts where quick open / the Inspect Model pick must list them.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { norm, poll } from "./editorText.mjs";
import {
  closeAllEditors,
  openFile,
  openInWebview,
  pickQuickItem,
  readLayerTable,
  readTotal,
  runCommand,
  waitForInspector,
} from "./workbench.mjs";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures");
/** Polls `read` until its text contains `want`; returns the last text. */
const pollText = async (read, want, timeoutMs = 10_000) =>
  norm((await poll(read, (v) => norm(v).includes(want), timeoutMs)) ?? "");

function copyInto(workspace, rel) {
  fs.copyFileSync(path.join(FIXTURES, rel), path.join(workspace, path.basename(rel)));
}

/**
 * Copies a fixture into the workspace, opens it from "ConvLens: Inspect Model" and checks its totals
 * against the fixture's .expected.json (written by the tools/ generators); returns the inspector frame
 * and the expectations.
 */
async function inspectFixture(page, workspace, rel) {
  copyInto(workspace, rel);
  const file = path.basename(rel);
  const expected = JSON.parse(
    fs.readFileSync(path.join(FIXTURES, rel.replace(/\.[^.]+$/, ".expected.json")), "utf8"),
  );
  await closeAllEditors(page);
  await runCommand(page, "ConvLens: Inspect Model");
  await pickQuickItem(page, file);
  const frame = await waitForInspector(page, file.replace(/\.[^.]+$/, ""), 30_000);
  assert.equal(await readTotal(frame, "total-params"), expected.totals.params, `${file}: total-params`);
  assert.equal(await readTotal(frame, "total-macs"), expected.totals.macs, `${file}: total-macs`);
  return { frame, expected };
}

export const tests = [
  {
    name: "yolov3-tiny.cfg: shape hints after layer headers and the totals CodeLens",
    async run({ page, screenshot, workspace }) {
      copyInto(workspace, "darknet/yolov3-tiny.cfg");
      const expected = JSON.parse(
        fs.readFileSync(path.join(FIXTURES, "darknet/yolov3-tiny.expected.json"), "utf8"),
      );
      await closeAllEditors(page);
      await openFile(page, "yolov3-tiny.cfg");
      // Layer 0 is the first [convolutional]: its hint follows the header line.
      const first = expected.layers[0].output_shape.join("×");
      const hint = await pollText(
        () => page.locator(".part.editor .view-line", { hasText: "[convolutional]" }).first().textContent(),
        `→ ${first}`,
      );
      assert.ok(hint.includes(`→ ${first}`), `hint after the first [convolutional]: "${hint}"`);
      const lens = await pollText(
        () => page.locator(".part.editor .codelens-decoration").first().textContent(),
        "params",
      );
      assert.ok(/ConvLens: 8\.85 M params · 2\.78 GMACs/.test(lens), `totals CodeLens: "${lens}"`);
      await screenshot("darknet-yolov3-tiny");
    },
  },
  {
    name: 'caffenet_v1.prototxt opens in the inspector from "ConvLens: Inspect Model"',
    async run({ page, screenshot, workspace }) {
      const { frame, expected } = await inspectFixture(page, workspace, "caffe/caffenet_v1.prototxt");
      const conv2 = frame.locator('tr[data-layer-name="conv2"] td[data-col="shape"]').first();
      assert.equal(
        (await conv2.textContent()).trim(),
        expected.layers.find((l) => l.name === "conv2").output_shape.join("×"),
        "conv2 output shape",
      );
      await screenshot("caffe-caffenet-inspector");
    },
  },
  {
    name: "googlenet_deploy.prototxt: shape hints after layer blocks and the totals CodeLens",
    async run({ page, screenshot }) {
      // run.mjs copies the file; expected numbers from tools/make_caffe_refs.py.
      const expected = JSON.parse(
        fs.readFileSync(path.join(FIXTURES, "caffe/googlenet_deploy.expected.json"), "utf8"),
      );
      const shape = (name) => expected.layers.find((l) => l.name === name).output_shape.join("×");
      await closeAllEditors(page);
      await openFile(page, "googlenet_deploy.prototxt");
      // A hint follows each "layer {" line: the 7×7/2 stem, then the ceil-mode 3×3/2 max pool (112 → 56).
      const lines = () =>
        page
          .locator(".part.editor .view-line", { hasText: "layer {" })
          .allTextContents()
          .then((t) => t.join("\n"));
      for (const name of ["conv1/7x7_s2", "pool1/3x3_s2"]) {
        const text = await pollText(lines, `→ ${shape(name)}`);
        assert.ok(
          text.includes(`layer { → ${shape(name)}`),
          `a "layer {" line with the hint → ${shape(name)} (${name}): ${JSON.stringify(text)}`,
        );
      }
      const lens = await pollText(
        () => page.locator(".part.editor .codelens-decoration").first().textContent(),
        "params",
      );
      assert.ok(
        lens.includes("ConvLens: 7.00 M params · 1.58 GMACs"),
        `totals CodeLens (6,998,552 params, 1,582,671,872 MACs): "${lens}"`,
      );
      assert.ok(lens.includes("input 1×3×224×224"), `totals CodeLens names the input: "${lens}"`);
      await screenshot("caffe-googlenet-hints");
    },
  },
  {
    name: 'darknet19.cfg opens in the inspector from "ConvLens: Inspect Model"',
    async run({ page, screenshot }) {
      // run.mjs copies the file; expected numbers from tools/make_darknet_refs.py.
      const expected = JSON.parse(
        fs.readFileSync(path.join(FIXTURES, "darknet/darknet19.expected.json"), "utf8"),
      );
      await closeAllEditors(page);
      await runCommand(page, "ConvLens: Inspect Model");
      await pickQuickItem(page, "darknet19.cfg");
      const frame = await waitForInspector(page, "darknet19", 30_000);
      assert.equal(
        await readTotal(frame, "total-params"),
        expected.totals.params,
        "total-params data-value (20,842,376)",
      );
      assert.equal(await readTotal(frame, "total-macs"), expected.totals.macs, "total-macs data-value");
      const rows = await readLayerTable(frame);
      // Layer 23 is the 1×1 convolution to the 1000 classes (Conv, then no BatchNorm, linear).
      const last = rows.filter((r) => r.name === "23");
      assert.equal(
        last[last.length - 1]?.cells.shape?.text,
        expected.layers[23].output_shape.join("×"),
        "layer 23 output shape",
      );
      const params = rows
        .filter((r) => r.name === "18")
        .reduce((a, r) => a + Number(r.cells.params?.value ?? NaN), 0);
      assert.equal(
        params,
        expected.layers[18].params,
        "layer 18 (3×3 conv to 1024, batch-normalised): params over its rows",
      );
      const rf = rows.filter((r) => r.name === "22").pop()?.cells["rf-size"]?.text;
      assert.equal(
        rf,
        expected.layers[22].rf.size.join("×"),
        "layer 22 receptive field (autograd probe: 374×374)",
      );
      await screenshot("darknet-darknet19-inspector");
    },
  },
  {
    name: "a BVLC train_test.prototxt (data layer + convlens.inputShapes) and pjreddie's ResNet-50 cfg open in the inspector with their totals",
    async run({ page, screenshot }) {
      // run.mjs copies both files and sets convlens.inputShapes for LeNet (MNIST's 28×28 grey images,
      // the TEST batch of 100); expected numbers from tools/make_caffe_refs.py / make_darknet_refs.py.
      const read = (rel) => JSON.parse(fs.readFileSync(path.join(FIXTURES, rel), "utf8"));
      const lenet = read("caffe/lenet_train_test.expected.json");
      await closeAllEditors(page);
      await runCommand(page, "ConvLens: Inspect Model");
      await pickQuickItem(page, "lenet_train_test.prototxt");
      let frame = await waitForInspector(page, "lenet_train_test", 30_000);
      assert.equal(
        await readTotal(frame, "total-params"),
        lenet.totals.params,
        "LeNet total-params (431,080)",
      );
      assert.equal(await readTotal(frame, "total-macs"), lenet.totals.macs, "LeNet total-macs, batch 100");
      const rows = await readLayerTable(frame);
      assert.equal(
        rows.filter((r) => r.name === "pool2").pop()?.cells.shape?.text,
        "100×50×4×4",
        "pool2 as Caffe logs its Top shape",
      );
      await screenshot("caffe-lenet-train-test-inspector");
      const resnet = read("darknet/resnet50.expected.json");
      await closeAllEditors(page);
      await runCommand(page, "ConvLens: Inspect Model");
      await pickQuickItem(page, "resnet50.cfg");
      frame = await waitForInspector(page, "resnet50", 30_000);
      assert.equal(await readTotal(frame, "total-params"), resnet.totals.params, "ResNet-50 total-params");
      assert.equal(
        await readTotal(frame, "total-macs"),
        resnet.totals.macs,
        "ResNet-50 total-macs (2 × 4.87 G = Darknet's 9.74 BFLOPs)",
      );
      await screenshot("darknet-resnet50-inspector");
    },
  },
  {
    name: "yolov1-local.cfg in the inspector: the Run tab refuses it, naming its [local] layer",
    async run({ page, screenshot }) {
      // run.mjs copies the file; expected numbers from tools/make_darknet_refs.py. Layer 1 is YOLOv1's
      // [local] (its own filters at every position): analysed, but onnxruntime has no such operator.
      await closeAllEditors(page);
      await runCommand(page, "ConvLens: Inspect Model");
      await pickQuickItem(page, "yolov1-local.cfg");
      const frame = await waitForInspector(page, "yolov1-local", 30_000);
      await frame.locator('[data-testid="tab-run"]').click({ timeout: 10_000 });
      const status = () =>
        frame
          .locator('[data-testid="run-status"]')
          .textContent({ timeout: 5_000 })
          .catch(() => "");
      const refused = /layer "1" \(Local\) has no ONNX operator/;
      // The refusal may come when the panel opens or when Run is pressed.
      if (!refused.test((await status()) ?? ""))
        await frame.locator('[data-testid="run-button"]').click({ timeout: 10_000 });
      const text = await pollText(status, 'layer "1" (Local) has no ONNX operator', 60_000);
      await screenshot("darknet-yolov1-local-run-refused");
      assert.match(text, refused, `Run tab status: "${text}"`);
      assert.equal(
        await frame
          .locator('[data-testid="logits"]')
          .getAttribute("data-values", { timeout: 2_000 })
          .catch(() => null),
        null,
        "no predictions shown",
      );
      // Analysed all the same: the totals are the reference's.
      const { totals } = JSON.parse(
        fs.readFileSync(path.join(FIXTURES, "darknet/yolov1-local.expected.json"), "utf8"),
      );
      assert.equal(await readTotal(frame, "total-params"), totals.params, "total-params (95,450)");
      assert.equal(await readTotal(frame, "total-macs"), totals.macs, "total-macs (136,224)");
    },
  },
  {
    name: "OpenCV's SSD face detector prototxt opens in the inspector: totals, PriorBox shapes, DetectionOutput's count unknown",
    async run({ page, screenshot, workspace }) {
      // Layer shapes checked against OpenCV 4.14's dnn module (tools/make_caffe_ssd_refs.py).
      const { frame } = await inspectFixture(page, workspace, "caffe/opencv_face_detector_deploy.prototxt");
      const shapeOf = async (name) =>
        (
          await frame.locator(`tr[data-layer-name="${name}"] td[data-col="shape"]`).last().textContent()
        ).trim();
      assert.equal(await shapeOf("mbox_priorbox"), "1×2×35568", "PriorBox boxes and variances, as OpenCV");
      // How many faces DetectionOutput keeps depends on the image: that dimension is not a number.
      const [n, one, kept, seven] = (await shapeOf("detection_out")).split("×");
      assert.deepEqual([n, one, seven], ["1", "1", "7"], "detection_out 1×1×N×7");
      assert.ok(!/^\d+$/.test(kept ?? ""), `detection_out's N is a symbol, not a number: ${kept}`);
      await screenshot("caffe-face-detector-inspector");
    },
  },
  {
    name: "fork_layers.prototxt (ConvolutionDepthwise, BN) opens in the inspector with its totals",
    async run({ page, screenshot, workspace }) {
      // Expected numbers from tools/make_caffe_refs.py (PyTorch, the forks' C++ semantics).
      const { frame, expected } = await inspectFixture(page, workspace, "caffe/fork_layers.prototxt");
      const row = (name) => frame.locator(`tr[data-layer-name="${name}"]`).last();
      for (const name of ["dw3", "pw3_bn"]) {
        const want = expected.layers.find((l) => l.name === name);
        assert.equal(
          (await row(name).locator('td[data-col="shape"]').textContent()).trim(),
          want.output_shape.join("×"),
          `${name} output shape`,
        );
      }
      await screenshot("caffe-fork-layers-inspector");
    },
  },
  {
    name: "mobilenet_block.tflite opens in the inspector by default with its totals and NHWC shapes",
    async run({ page, screenshot, log }) {
      // run.mjs copies the file; expected numbers from the PyTorch build in tools/make_tflite_models.py.
      const expected = JSON.parse(
        fs.readFileSync(path.join(FIXTURES, "tflite/mobilenet_block.expected.json"), "utf8"),
      );
      await closeAllEditors(page);
      // Opening the file (no command) shows the inspector: .tflite is its default editor.
      await openInWebview(page, "mobilenet_block.tflite", { log });
      const frame = await waitForInspector(page, "mobilenet_block", 30_000);
      assert.equal(await readTotal(frame, "total-params"), expected.totals.params, "total-params (3,178)");
      assert.equal(await readTotal(frame, "total-macs"), expected.totals.macs, "total-macs (363,136)");
      const rows = await readLayerTable(frame);
      for (const name of ["dw2", "concat"]) {
        const mine = rows.filter((r) => r.name === name);
        assert.equal(
          mine[mine.length - 1]?.cells.shape?.text,
          expected.layers.find((l) => l.name === name).output_shape.join("×"),
          `${name}: NHWC output shape of its last row`,
        );
      }
      await screenshot("tflite-mobilenet-block-inspector");
    },
  },
  {
    name: "selfie_segmentation.tflite (published by MediaPipe) opens with its totals and its custom op mapped",
    async run({ page, screenshot, log }) {
      // run.mjs copies the file; the totals are what the file stores (tools/make_tflite_published.py).
      const { totals } = JSON.parse(
        fs.readFileSync(path.join(FIXTURES, "tflite/published/selfie_segmentation.expected.json"), "utf8"),
      );
      await closeAllEditors(page);
      await openInWebview(page, "selfie_segmentation.tflite", { log });
      const frame = await waitForInspector(page, "selfie_segmentation", 30_000);
      const shown = {
        params: await readTotal(frame, "total-params"),
        macs: await readTotal(frame, "total-macs"),
      };
      assert.deepEqual(shown, totals, "106,401 params (the file's float16 weights), 59,215,744 MACs");
      const rows = (await readLayerTable(frame)).filter((r) => r.name === "segment");
      log(`  segment rows: ${rows.map((r) => `${r.cells.op?.text} ${r.cells.shape?.text}`).join(" | ")}`);
      // MediaPipe's Convolution2DTransposeBias: a transposed convolution with the shape the file stores.
      assert.ok(
        rows.some((r) => /ConvTranspose|Convolution2DTransposeBias/.test(r.cells.op?.text ?? "")),
        "segment is read as a transposed convolution",
      );
      assert.equal(rows[rows.length - 1]?.cells.shape?.text, "1×256×256×1", "segment's output shape");
      await screenshot("tflite-selfie-segmentation-inspector");
    },
  },
];

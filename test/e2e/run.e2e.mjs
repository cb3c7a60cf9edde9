// End-to-end test of the inspector's Run tab: the trained LeNet-5 runs on the bundled sample
// digit_3.png, first with convlens.backend "auto" (no real GPU here: the host engine,
// onnxruntime-node), then forced to wasm and to WebGPU (SwiftShader in headless chromium) in the
// webview; every engine's logits must match PyTorch's (shared/fixtures/expected/
// lenet5_digits_predictions.json) within 1e-3 with the same top-1, then layer c1's six feature
// maps and six filters are shown. Workspace: lenet5_digits.onnx (copied by run.mjs).
import assert from "node:assert/strict";
import { sleep } from "./harness.mjs";
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "../../scripts/ensure-tools.mjs";
import { openRunTab, selectSample } from "./workbench.mjs";
import {
  closeAllEditors,
  fillQuickInput,
  openInWebview,
  pickQuickItem,
  runCommand,
  waitForInspector,
} from "./workbench.mjs";
import { poll, PATIENCE } from "./editorText.mjs";
import { runOnce, runStatus } from "./runTab.mjs";

function assertLogits(tag, logits, sample) {
  assert.equal(logits.length, sample.logits.length, `${tag}: number of logits`);
  const maxDiff = Math.max(...logits.map((v, i) => Math.abs(v - sample.logits[i])));
  assert.ok(
    maxDiff <= 1e-3,
    `${tag}: logits differ from PyTorch by up to ${maxDiff} (got ${JSON.stringify(logits)})`,
  );
  const top = logits.indexOf(Math.max(...logits));
  assert.equal(top, sample.label, `${tag}: top-1 class`);
  return maxDiff;
}

/** The built-in ImageNet-1k class names the extension ships. */
const imagenetLabels = () =>
  fs
    .readFileSync(path.join(repoRoot, "media", "imagenet1k-labels.txt"), "utf8")
    .trimEnd()
    .split("\n");

/** Waits until the feature-map grid shows `n` channels; fails with the status line otherwise. */
async function expectMaps(frame, n, tag, screenshot) {
  const grid = frame.locator('[data-testid="feature-maps"]');
  const got = await poll(
    () => grid.getAttribute("data-channels", { timeout: PATIENCE * 1000 }),
    (v) => v === String(n),
    60_000,
  );
  if (got !== String(n)) await screenshot(`run-maps-wrong-${tag}`);
  assert.equal(got, String(n), `${tag}: feature-map channels (status: ${await runStatus(frame)})`);
  assert.equal(await grid.locator("canvas").count(), n, `${tag}: feature-map canvases`);
}

/** Runs a Show … command, picks `layer` in its quick pick and waits for the Run tab. */
async function showFromPalette(page, frame, command, layer) {
  await runCommand(page, command);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: layer }).first();
  await pickQuickItem(page, layer);
  const closed = await row.waitFor({ state: "hidden", timeout: PATIENCE * 5000 }).then(
    () => true,
    () => false,
  );
  assert.ok(closed, "the quick pick closed after the choice");
  await frame.locator('[data-testid="run-panel"]').waitFor({ state: "visible", timeout: PATIENCE * 15_000 });
}

export const tests = [
  {
    name: "Run tab: Show Feature Maps from the palette asks for a layer and shows its maps; the tab's layer picker changes the layer",
    async run({ page, screenshot, log }) {
      await closeAllEditors(page);
      await openInWebview(page, "lenet5_digits.onnx", { log });
      const frame = await waitForInspector(page, "lenet5_digits");
      // The palette: the quick pick lists the layers with feature maps, grouped, with shapes.
      await page
        .locator(".part.sidebar .composite.title")
        .first()
        .click({ timeout: PATIENCE * 2000 })
        .catch(() => {});
      await showFromPalette(page, frame, "ConvLens: Show Feature Maps", "c3");
      // The Run tab came to the front and runs: c3 has 16 channels of 10×10.
      await expectMaps(frame, 16, "palette c3", screenshot);
      assert.match(
        await frame.locator('[data-testid="run-layer"]').textContent(),
        /^c3Conv #\d+ · output 1×16×10×10/,
      );
      await screenshot("run-palette-feature-maps-c3");

      // The picker in the tab: search narrows it, choosing c1 shows c1's six maps.
      const search = frame.locator('[data-testid="run-layer-search"]');
      const select = frame.locator('[data-testid="run-layer-select"]');
      assert.equal(
        await select.inputValue(),
        await select.locator('option[data-layer-name="c3"]').getAttribute("value"),
      );
      await search.fill("c1");
      const offered = await select
        .locator("option[data-layer-name]")
        .evaluateAll((os) => os.map((o) => o.dataset.layerName));
      assert.deepEqual(offered, ["c1"], "search 'c1' leaves c1");
      await search.fill("");
      const all = await select
        .locator("option[data-layer-name]")
        .evaluateAll((os) => os.map((o) => o.dataset.layerName));
      assert.deepEqual(
        all,
        ["c1", "act1", "s2", "c3", "act3", "s4", "c5", "act5"],
        "layers with feature maps",
      );
      await select.selectOption(await select.locator('option[data-layer-name="c1"]').getAttribute("value"));
      await expectMaps(frame, 6, "picker c1", screenshot);
      assert.match(await frame.locator('[data-testid="run-layer"]').textContent(), /^c1Conv/);
      // The choice is the inspector's selection: the table's selected row follows.
      await frame.locator("vscode-tab-header", { hasText: "Table" }).click();
      const selected = frame.locator('tr[data-layer-name="c1"]');
      const sel = await poll(
        () => selected.getAttribute("aria-selected", { timeout: PATIENCE * 1000 }),
        (v) => v === "true",
        10_000,
      );
      assert.equal(sel, "true", "c1 selected in the table");
      await frame.locator('[data-testid="tab-run"]').click();
      await screenshot("run-picker-c1");
    },
  },
  {
    name: "Run tab: Show Filters from the palette asks for a convolution and shows its filters",
    async run({ page, screenshot, log }) {
      await closeAllEditors(page);
      await openInWebview(page, "lenet5_digits.onnx", { log });
      const frame = await waitForInspector(page, "lenet5_digits");
      // The quick pick offers the convolutions (c1, c3, c5): c3 is 16 kernels of 6×5×5.
      await showFromPalette(page, frame, "ConvLens: Show Filters", "c3");
      const filters = frame.locator('[data-testid="filters"]');
      const count = await poll(
        () => filters.getAttribute("data-filters", { timeout: PATIENCE * 1000 }),
        (n) => n === "16",
        30_000,
      );
      if (count !== "16") await screenshot("run-palette-filters-wrong");
      assert.equal(count, "16", `c3's filters (status: ${await runStatus(frame)})`);
      assert.equal(await filters.locator("canvas").count(), 16, "a canvas per filter");
      assert.match(await frame.locator('[data-testid="run-layer"]').textContent(), /^c3Conv/);
      await screenshot("run-palette-filters-c3");
    },
  },
  {
    name: "Run tab: Choose labels… takes a labels file from the file dialog and names the predictions",
    async run({ page, workspace, screenshot, log }) {
      const names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
      const file = path.join(workspace, "digit_names.txt");
      fs.writeFileSync(file, `${names.join("\n")}\n`);
      const frame = await openRunTab(page, "lenet5_digits.onnx", "lenet5_digits", { log });
      await selectSample(frame, "digit_3");
      await frame.locator('[data-testid="run-view-predictions"]').click();
      await runOnce(frame, screenshot, "labels");
      const top = frame.locator('[data-testid="prediction"]').first();
      assert.equal(await top.getAttribute("data-class"), "3", "digit_3 is class 3");
      await frame.locator('[data-testid="choose-labels"]').click();
      // VS Code's simple file dialog: a path box starting at the model's folder.
      await fillQuickInput(page, file);
      await page.keyboard.press("Enter");
      const label = await poll(
        () =>
          frame
            .locator('[data-testid="prediction"] .pred-label')
            .first()
            .textContent({ timeout: PATIENCE * 1000 }),
        (t) => t?.trim() === "three",
        20_000,
      );
      if (label?.trim() !== "three") await screenshot("run-choose-labels-wrong");
      assert.equal(label?.trim(), "three", "class 3 named by the chosen file");
      assert.equal(
        (await frame.locator('[data-testid="labels-source"]').textContent()).trim(),
        "digit_names.txt",
        "the predictions say where their names come from",
      );
      await screenshot("run-choose-labels");
    },
  },
  {
    name: "Run tab: resnet18 (1000 classes, no labels.txt) shows ImageNet-1k class names and starts from ImageNet mean/std",
    async run({ page, screenshot, log }) {
      const labels = imagenetLabels();
      const frame = await openRunTab(page, "resnet18.onnx", "resnet18", { log });
      await selectSample(frame, "chelsea");
      assert.equal(
        await frame.locator('[data-testid="norm-preset"]').inputValue(),
        "ImageNet",
        "default preset",
      );
      assert.match(
        await frame.locator('[data-testid="norm-default"]').textContent(),
        /ImageNet mean\/std.*224×224/,
      );
      await frame.locator('[data-testid="run-view-predictions"]').click();
      await frame.locator('[data-testid="run-button"]').click();
      const top = frame.locator('[data-testid="prediction"]').first();
      await top.waitFor({ state: "attached", timeout: PATIENCE * 120_000 }).catch(() => {});
      const cls = Number(await top.getAttribute("data-class", { timeout: PATIENCE * 5000 }).catch(() => NaN));
      if (!Number.isInteger(cls)) await screenshot("run-resnet18-no-predictions");
      assert.ok(Number.isInteger(cls), `a prediction (status: ${await runStatus(frame)})`);
      const label = (await top.locator(".pred-label").textContent()).trim();
      assert.equal(label, labels[cls], `top class ${cls} named by the ImageNet-1k list`);
      assert.equal(
        (await frame.locator('[data-testid="labels-source"]').textContent()).trim(),
        "ImageNet-1k labels (built in)",
      );
      assert.ok(await frame.locator('[data-testid="choose-labels"]').isVisible(), "Choose labels… offered");
      await screenshot("run-resnet18-imagenet-labels");
    },
  },
  {
    name: "Run tab: lenet5_digits on digit_3 on the host engine, wasm and WebGPU: logits match PyTorch, c1 has 6 feature maps and 6 filters",
    // Three engines, WebGPU on SwiftShader (a CPU): the longest test on a busy machine.
    timeoutMs: 600_000,
    async run({ page, expected, screenshot, log, setSettings }) {
      const exp = expected("lenet5_digits_predictions");
      const sample = exp.samples.find((s) => s.file.endsWith("digit_3.png"));
      assert.ok(sample, "digit_3.png missing from lenet5_digits_predictions.json");

      // Input: the bundled sample digit_3.png.
      const frame = await openRunTab(page, "lenet5_digits.onnx", "lenet5_digits", { log });
      await selectSample(frame, "digit_3");

      const auto = await runOnce(frame, screenshot, "auto");
      log(`  auto: forward pass on ${auto.backend}: ${auto.ms} ms`);
      assert.equal(auto.backend, "native", "auto without a real GPU runs on the host engine");
      assert.ok(auto.ms > 0, `forward time data-ms=${auto.ms}`);
      assertLogits("native", auto.logits, sample);
      const top = frame.locator('[data-testid="prediction"]').first();
      assert.equal(await top.getAttribute("data-class"), "3", "top prediction class");
      assert.ok(Number(await top.getAttribute("data-prob")) > 0.9, "top prediction probability > 0.9");
      await screenshot("run-lenet5-digits-predictions");

      // The same input forced onto the webview's engines: wasm, then WebGPU (SwiftShader).
      try {
        for (const forced of ["wasm", "webgpu"]) {
          setSettings({ "convlens.backend": forced });
          // The host re-sends the runtime when the setting changes, and the panel then clears the last
          // result: a run clicked before that shows its logits only until the clear. Wait for the clear.
          await poll(
            () =>
              frame
                .locator('[data-testid="logits"]')
                .count()
                .then((n) =>
                  n === 0 ? null : frame.locator('[data-testid="logits"]').getAttribute("data-values"),
                )
                .catch(() => null),
            (values) => values === null,
            15_000,
          );
          // Runs until then use the old engine.
          let r = await runOnce(frame, screenshot, forced);
          for (let i = 0; i < 20 && r.backend !== forced; i++) {
            await sleep(500);
            r = await runOnce(frame, screenshot, forced);
          }
          const notes = await frame
            .locator('[data-testid="run-notes"]')
            .textContent()
            .catch(() => "");
          assert.equal(
            r.backend,
            forced,
            `convlens.backend=${forced} shown as the backend (notes: ${notes})`,
          );
          const d = assertLogits(forced, r.logits, sample);
          const vsNative = Math.max(...r.logits.map((v, i) => Math.abs(v - auto.logits[i])));
          log(
            `  ${forced}: ${r.ms} ms, max |Δ| vs PyTorch ${d.toExponential(2)}, vs native ${vsNative.toExponential(2)}`,
          );
          if (forced === "webgpu") await screenshot("run-lenet5-digits-webgpu");
        }
      } finally {
        setSettings({ "convlens.backend": "auto" });
      }

      // Feature maps of c1: select the layer in the table, then the Feature maps view.
      await frame.locator("vscode-tab-header", { hasText: "Table" }).click();
      await frame
        .locator('tr[data-layer-name="c1"] td[data-col="name"]')
        .click({ timeout: PATIENCE * 10_000 });
      await frame.locator('[data-testid="tab-run"]').click();
      await frame.locator('[data-testid="run-view-featureMaps"]').click();
      const grid = frame.locator('[data-testid="feature-maps"]');
      const channels = await poll(
        () => grid.locator("canvas").count(),
        (n) => n === 6,
        30_000,
      );
      if (channels !== 6) await screenshot("run-feature-maps-wrong");
      assert.equal(channels, 6, `feature-map canvases for c1 (status: ${await runStatus(frame)})`);
      assert.equal(await grid.getAttribute("data-channels"), "6", "feature-maps data-channels");
      await screenshot("run-lenet5-digits-c1-feature-maps");

      // Filters of c1: 6 kernels of 1×5×5.
      await frame.locator('[data-testid="run-view-filters"]').click();
      const filters = frame.locator('[data-testid="filters"]');
      const count = await poll(
        () => filters.locator("canvas").count(),
        (n) => n === 6,
        20_000,
      );
      if (count !== 6) await screenshot("run-filters-wrong");
      assert.equal(
        count,
        6,
        `filter canvases for c1 (view says: ${await frame
          .locator(".filters-view")
          .textContent()
          .catch(() => "?")})`,
      );
      assert.equal(await filters.getAttribute("data-filters"), "6", "filters data-filters");
      // The weights arrived intact: hovering filter 0's top-left pixel reads c1.weight[0, 0, 0, 0]
      // of lenet5_digits.onnx (-0.0751765).
      const first = filters.locator("canvas").first();
      const box = await first.boundingBox();
      await page.mouse.move(box.x + 2, box.y + 2);
      const tip = await poll(
        () => frame.locator('[data-testid="pixel-tooltip"]').textContent({ timeout: PATIENCE * 1000 }),
        (t) => t?.startsWith("filter 0, x 0, y 0:"),
        5000,
      );
      const w = Number(tip?.split(":").pop());
      await screenshot("run-lenet5-digits-c1-filters");
      assert.ok(
        Math.abs(w - -0.0751765) < 1e-3,
        `filter 0 weight at (0, 0): tooltip ${JSON.stringify(tip)}, want -0.0752`,
      );
    },
  },
  {
    name: "Run tab: shapes_cnn conv1 filters drawn as 16 RGB colour patches",
    async run({ page, screenshot, log }) {
      const frame = await openRunTab(page, "shapes_cnn.onnx", "shapes_cnn", { log });
      await frame.locator("vscode-tab-header", { hasText: "Table" }).click();
      await frame
        .locator('tr[data-layer-name="conv1"] td[data-col="name"]')
        .click({ timeout: PATIENCE * 10_000 });
      await frame.locator('[data-testid="tab-run"]').click();
      await frame.locator('[data-testid="run-view-filters"]').click();
      const filters = frame.locator('[data-testid="filters"]');
      const count = await poll(
        () => filters.locator("canvas").count(),
        (n) => n === 16,
        20_000,
      );
      await screenshot("run-shapes-cnn-conv1-filters");
      assert.equal(count, 16, "conv1 has 16 filters of 3×5×5");
      assert.equal(await filters.getAttribute("data-filters"), "16");
      assert.equal(
        await filters.getAttribute("data-mode"),
        "rgb",
        "the first layer of an RGB model as colour patches",
      );
    },
  },
];

// End-to-end test of the Run tab on a channels-last model: mobilenet_block.tflite (NHWC input
// 1×32×32×3, copied by run.mjs) shows an image input (not "filled with uniform noise"), says its
// NHWC input is fed channels first, runs, and draws pw1's output (1×16×16×32, NHWC) as 32 maps,
// and the stem and depthwise convs' TFLite weights as filters.
import assert from "node:assert/strict";
import { openRunTab } from "./workbench.mjs";
import { poll, PATIENCE } from "./editorText.mjs";
import { runOnce, runStatus } from "./runTab.mjs";

export const tests = [
  {
    name: "Run tab: a channels-last TFLite model gets an image input, runs and draws a layer's 32 maps",
    async run({ page, screenshot, log }) {
      // openRunTab waits for the image source picker: only an image input has one.
      const frame = await openRunTab(page, "mobilenet_block.tflite", "mobilenet_block", { log });
      const decl = await frame.locator(".input-decl").textContent({ timeout: PATIENCE * 1000 });
      assert.match(decl, /1×32×32×3 float32, channels last: fed as 1×3×32×32/, "input line");
      assert.equal(await frame.getByText("Not an image input").count(), 0, "no noise note");
      const caption = await frame.locator('[data-testid="input-preview"] figcaption').textContent();
      assert.match(caption, /^model input 3×32×32/, "preview caption");
      const r = await runOnce(frame, screenshot, "tflite");
      assert.equal(r.logits.length, 10, "ten outputs");

      await frame.locator('[data-testid="run-view-featureMaps"]').click();
      const select = frame.locator('[data-testid="run-layer-select"]');
      // Row 13: pw1's transpose back to NHWC, output 1×16×16×32.
      await select.selectOption("13");
      const grid = frame.locator('[data-testid="feature-maps"]');
      const got = await poll(
        () => grid.getAttribute("data-channels", { timeout: PATIENCE * 1000 }).catch(() => null),
        (v) => v === "32",
        60_000,
      );
      if (got !== "32") await screenshot("run-channels-last-maps-wrong");
      assert.equal(got, "32", `pw1 maps (status: ${await runStatus(frame)})`);
      assert.equal(await grid.locator("canvas").count(), 32, "32 canvases");
      await screenshot("run-channels-last-pw1-maps");

      // Filters: the stem conv's OHWI weights (16×3×3×3) as 16 RGB filters, the depthwise conv's
      // 1×3×3×16 as 16 one-channel filters: drawn in the axes the converted convs use.
      await frame.locator('[data-testid="run-view-filters"]').click();
      const filters = frame.locator('[data-testid="filters"]');
      for (const [row, mode] of [
        ["2", "rgb"],
        ["7", null],
      ]) {
        await select.selectOption(row);
        const n = await poll(
          () => filters.getAttribute("data-filters", { timeout: PATIENCE * 1000 }).catch(() => null),
          (v) => v === "16",
          60_000,
        );
        assert.equal(n, "16", `row ${row}: filters (status: ${await runStatus(frame)})`);
        if (mode !== null) assert.match(await filters.getAttribute("data-mode"), /^rgb/, `row ${row}: RGB`);
        else assert.doesNotMatch(await filters.getAttribute("data-mode"), /^rgb/, `row ${row}: not RGB`);
      }
      await screenshot("run-channels-last-dw1-filters");
    },
  },
];

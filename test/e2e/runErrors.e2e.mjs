// Bad input in the Run tab, each a clear line while the panel stays usable: a model with an op
// onnxruntime lacks (unknown-op.onnx from test/fixtures/bad), an unreadable image chosen with
// "ConvLens: Run Model on Image…", and a PyTorch state_dict whose tensors do not fit (the
// wrong_shape.pth fixture written by tools/make_pth_ref.py, put beside custom_models.py as LeNet5.pth).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "../../scripts/ensure-tools.mjs";
import { poll, PATIENCE } from "./editorText.mjs";
import {
  closeAllEditors,
  fillQuickInput,
  openFile,
  openRunTab,
  pickQuickItem,
  runCommand,
  selectSample,
  waitForInspector,
} from "./workbench.mjs";

const statusOf = (frame) =>
  frame
    .locator('[data-testid="run-status"]')
    .textContent({ timeout: PATIENCE * 1000 })
    .then((t) => t.trim())
    .catch(() => "");

async function waitForStatus(frame, re, timeoutMs) {
  return (
    (await poll(
      () => statusOf(frame),
      (t) => re.test(t ?? ""),
      timeoutMs,
    )) ?? ""
  );
}

/** Clicks Run and waits for a new result (the raw values' data-run changes). */
async function runAndWait(frame, timeoutMs = 60_000) {
  const logits = frame.locator('[data-testid="logits"]');
  const before = await logits.getAttribute("data-run", { timeout: PATIENCE * 500 }).catch(() => null);
  await frame.locator('[data-testid="run-button"]').click();
  const now = await poll(
    () => logits.getAttribute("data-run", { timeout: PATIENCE * 500 }),
    (v) => v !== null && v !== undefined && v !== before,
    timeoutMs,
  );
  if (now === null || now === undefined || now === before)
    assert.fail(`no new result after Run; status: ${await statusOf(frame)}`);
}

export const tests = [
  {
    name: "Run tab, bad input: an op onnxruntime lacks is named, the panel stays usable",
    async run({ page, screenshot, log }) {
      const frame = await openRunTab(page, "unknown-op.onnx", "unknown-op", { log });
      await frame.locator('[data-testid="run-button"]').click();
      const status = await waitForStatus(frame, /Run failed/, 60_000);
      await screenshot("run-error-unknown-op");
      assert.match(
        status,
        /^Run failed: op Frobnicate \(opset 17\) is not an operator onnxruntime implements$/,
      );
      // Still usable: the table answers and Run can be pressed again with the same clear result.
      await frame.locator("vscode-tab-header", { hasText: "Table" }).click();
      await frame.locator('tr[data-layer-name="mystery"]').waitFor({ timeout: PATIENCE * 10_000 });
      await frame.locator('[data-testid="tab-run"]').click();
      await frame.locator('[data-testid="run-button"]').click();
      assert.match(await waitForStatus(frame, /Run failed/, 30_000), /Frobnicate/);
    },
  },
  {
    name: "Run tab, bad input: an unreadable image says so, a sample then runs",
    async run({ page, workspace, screenshot, log }) {
      fs.writeFileSync(path.join(workspace, "broken.png"), "this is not a PNG\n".repeat(20));
      const frame = await openRunTab(page, "lenet5_digits.onnx", "lenet5_digits", { log });
      await runCommand(page, "ConvLens: Run Model on Image…");
      // VS Code's simple file dialog: a path box starting at the workspace folder.
      await fillQuickInput(page, path.join(workspace, "broken.png"));
      await page.keyboard.press("Enter");
      const warning = frame.locator(".run-input-col .warning-text");
      await warning.waitFor({ timeout: PATIENCE * 20_000 });
      const text = (await warning.textContent()).trim();
      await screenshot("run-error-unreadable-image");
      assert.equal(
        text,
        "Could not read the image: the image cannot be decoded: it is not a PNG, JPEG, GIF, BMP or WebP file",
      );
      await frame.locator('[data-testid="run-button"]').click();
      assert.match(await waitForStatus(frame, /Run failed/, 30_000), /cannot be decoded/);
      // No stale result: the previous input's predictions are gone.
      assert.equal(
        await frame.locator('[data-testid="logits"]').count(),
        0,
        "no logits shown after the failed run",
      );
      // The panel stays usable: a bundled sample runs.
      await selectSample(frame, "digit_3");
      await runAndWait(frame);
      const top = frame.locator('[data-testid="prediction"]').first();
      assert.equal(await top.getAttribute("data-class"), "3", "digit_3 after the broken image");
    },
  },
  {
    name: "Run tab, bad input: a .pth whose tensors do not fit is reported, the rest runs on random weights",
    async run({ page, workspace, screenshot }) {
      const pth = path.join(workspace, "LeNet5.pth");
      fs.copyFileSync(path.join(repoRoot, "test", "fixtures", "weights", "wrong_shape.pth"), pth);
      try {
        await closeAllEditors(page);
        await openFile(page, "custom_models.py");
        // Any line will do (the editor may restore an earlier scroll position): the command needs
        // the Python editor active, not a particular line on screen.
        await page
          .locator(".part.editor .view-line")
          .first()
          .waitFor({ timeout: PATIENCE * 15_000 });
        await runCommand(page, "ConvLens: Inspect Model Class");
        await pickQuickItem(page, "LeNet5");
        const frame = await waitForInspector(page, "LeNet5", 30_000);
        const toast = page.locator(".notifications-toasts .notification-toast", { hasText: "LeNet5.pth" });
        await toast.first().waitFor({ timeout: PATIENCE * 30_000 });
        const message = (await toast.first().textContent()).replace(/\s+/g, " ");
        await screenshot("run-error-wrong-shape-pth");
        assert.match(message, /LeNet5\.pth: loaded \d+ tensors;/);
        assert.match(message, /mis-shaped \(c1\.weight/);
        assert.match(message, /unexpected \(/);
        assert.match(message, /The rest run on random weights/);
        await frame.locator('[data-testid="tab-run"]').click();
        await frame
          .locator('[data-testid="input-source"]')
          .waitFor({ state: "visible", timeout: PATIENCE * 15_000 });
        await runAndWait(frame);
        const banner = await frame.locator(".run-panel").textContent();
        assert.match(banner, /random weights/i, "random-weights banner for the tensors that did not fit");
      } finally {
        fs.rmSync(pth, { force: true });
        await runCommand(page, "Notifications: Clear All Notifications").catch(() => {});
      }
    },
  },
];

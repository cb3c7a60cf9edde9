// The inspector's Run tab driven from a test: run the model once and read the logits it shows.
import assert from "node:assert/strict";
import { poll, PATIENCE } from "./editorText.mjs";

/** The Run panel's status line (errors are shown there), for failure messages. */
export const runStatus = (frame) =>
  frame
    .locator('[data-testid="run-status"]')
    .textContent({ timeout: PATIENCE * 1000 })
    .catch(() => "(no status)");

/**
 * Clicks Run and waits for new logits; returns {backend, ms, logits}. The logits are read in the
 * same step that sees the new run: a runtime message arriving right after (the backend setting
 * changed) clears the predictions view, and a later read would find nothing.
 */
export async function runOnce(frame, screenshot, tag) {
  const logitsEl = frame.locator('[data-testid="logits"]');
  const read = () =>
    logitsEl.evaluate(
      (el, ids) => ({
        run: el.getAttribute("data-run"),
        values: el.getAttribute("data-values"),
        backend: el.ownerDocument.querySelector(ids.backend)?.textContent ?? "",
        ms: el.ownerDocument.querySelector(ids.ms)?.getAttribute("data-ms") ?? "",
      }),
      { backend: '[data-testid="run-backend"]', ms: '[data-testid="run-ms"]' },
      { timeout: PATIENCE * 500 },
    );
  const before = (await read().catch(() => null))?.run ?? null;
  await frame.locator('[data-testid="run-button"]').click({ timeout: PATIENCE * 10_000 });
  const seen = await poll(
    read,
    (v) => v !== undefined && v.run !== null && v.run !== before && v.values !== null,
    // × PATIENCE: the run fails with its status line before the test's own limit.
    60_000,
  );
  if (!seen || seen.run === before || seen.values === null) {
    await screenshot(`run-no-logits-${tag}`);
    const busy = (await frame.locator(".run-panel.busy").count()) > 0 ? "busy" : "idle";
    assert.fail(`${tag}: no new logits after Run (${busy}); status: ${await runStatus(frame)}`);
  }
  return { backend: seen.backend.trim(), ms: Number(seen.ms), logits: JSON.parse(seen.values) };
}

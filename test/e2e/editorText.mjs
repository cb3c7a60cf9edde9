// Reading what a text editor (or a notebook's cell editors) renders: line text with inlay hints,
// the CodeLens row above a line, polling until a condition holds. Shared by the Python, script
// and notebook end-to-end tests.
import assert from "node:assert/strict";
import { sleep } from "./harness.mjs";
import { closeAllEditors, openFile, runCommand } from "./workbench.mjs";

/** Text as rendered: the editor uses no-break spaces in view lines and inlay hints. */
export const norm = (s) => (s ?? "").replace(/\u00a0/g, " ");

/**
 * How much longer than on an idle machine a condition may take to hold (E2E_PATIENCE, default 3):
 * a poll ends as soon as its condition holds, so patience costs time only when a test fails.
 */
export const PATIENCE = Math.max(1, Number(process.env.E2E_PATIENCE ?? 3) || 3);

/**
 * Polls `read` until `ok(value)` or the deadline (timeoutMs × PATIENCE); returns the last value either way.
 */
export async function poll(read, ok, timeoutMs = 10_000, every = 250) {
  const deadline = Date.now() + timeoutMs * PATIENCE;
  let value;
  for (;;) {
    value = await read().catch(() => undefined);
    if (ok(value) || Date.now() > deadline) return value;
    await sleep(every);
  }
}

/** Collects failed checks so one run reports every mismatch, not just the first. */
export function checker() {
  const failures = [];
  return {
    check(cond, msg) {
      if (!cond) failures.push(msg);
    },
    done() {
      assert.ok(failures.length === 0, `${failures.length} check(s) failed:\n- ${failures.join("\n- ")}`);
    },
  };
}

/** The rendered text of the line containing `text` (inlay hints included), under `scope`. */
export async function lineText(page, text, scope = ".part.editor") {
  return norm(
    await page.locator(`${scope} .view-line`, { hasText: text }).first().textContent({ timeout: 2000 }),
  );
}

/** Texts of the CodeLens row rendered just above the line containing `text`, under `scope`. */
export async function lensesAbove(page, text, scope = ".part.editor") {
  const line = await page
    .locator(`${scope} .view-line`, { hasText: text })
    .first()
    .boundingBox({ timeout: 2000 });
  if (!line) return [];
  const decos = await page.locator(`${scope} .codelens-decoration`).evaluateAll((els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect();
      return {
        y: r.y,
        visible: r.height > 0,
        texts: [...el.querySelectorAll("a")].map((a) => a.textContent),
      };
    }),
  );
  const above = decos.filter((d) => d.visible && d.y < line.y && d.y > line.y - 2 * line.height - 5);
  above.sort((a, b) => b.y - a.y);
  return (above[0]?.texts ?? []).map(norm);
}

/** The CodeLens row above the line containing `text`, polled until one of its lenses starts with `prefix`. */
export const lensesOnceShown = (page, text, prefix, timeoutMs = 20_000) =>
  poll(
    () => lensesAbove(page, text),
    (l) => l?.some((t) => t.startsWith(prefix)),
    timeoutMs,
  );

/** Polls the CodeLens row above `text` until it holds the ConvLens summary: { lenses, summary }. */
export async function summaryLensAbove(page, text, timeoutMs = 15_000) {
  const lenses = await lensesOnceShown(page, text, "ConvLens:", timeoutMs);
  return { lenses, summary: lenses?.find((t) => t.startsWith("ConvLens:")) ?? "" };
}

/** The visible hover's text after pointing at `target` (a locator), or "" with the reason checked. */
export async function hoverText(page, target, c, what) {
  await page.mouse.move(5, 5);
  await target.hover({ timeout: 5000 });
  const hover = page.locator(".monaco-hover:visible .rendered-markdown").first();
  try {
    await hover.waitFor({ state: "visible", timeout: 10_000 });
    return norm(await hover.textContent());
  } catch (e) {
    c.check(false, `no hover appeared over ${what} (${e.message.split("\n")[0]})`);
    return "";
  }
}

/** The text editor (not a webview) showing a line that contains `lineText`. */
export const editorWith = (page, lineText) =>
  page
    .locator(".part.editor .monaco-editor", { has: page.locator(".view-line", { hasText: lineText }) })
    .first();

/** Whether the text editor showing a line containing `lineText` has a selection on that line. */
export async function lineSelected(page, lineText) {
  const editor = editorWith(page, lineText);
  const top = (
    await editor
      .locator(".view-line", { hasText: lineText })
      .first()
      .boundingBox()
      .catch(() => null)
  )?.y;
  if (top === undefined) return false;
  const tops = await editor
    .locator(".view-overlays .selected-text")
    .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().y));
  return tops.some((y) => Math.abs(y - top) < 2);
}

/** Opens a workspace .py file and waits until its editor shows `lineText`. */
export async function openPython(page, name, lineText) {
  await closeAllEditors(page);
  await openFile(page, name);
  const line = editorWith(page, lineText);
  const shown = await line.waitFor({ state: "visible", timeout: 5000 }).then(
    () => true,
    () => false,
  );
  // VS Code reopens a file where an earlier test left it scrolled: the tests read it from the top.
  if (!shown) await page.keyboard.press("Control+Home");
  await line.waitFor({ state: "visible", timeout: 15_000 });
}

/** The Problems panel's rows (files and markers), one per line. */
export async function problemsText(page) {
  const rows = await page.locator(".markers-panel .monaco-list-row").allTextContents();
  return norm(rows.join("\n"));
}

export async function showProblems(page) {
  const panel = page.locator(".markers-panel").first();
  if (await panel.isVisible().catch(() => false)) return;
  await page.keyboard.press("Control+Shift+M"); // View: Problems
  const shown = await panel.waitFor({ state: "visible", timeout: 3000 }).then(
    () => true,
    () => false,
  );
  if (!shown) {
    await runCommand(page, "Focus on Problems View", 10_000);
    await panel.waitFor({ state: "visible", timeout: 10_000 });
  }
}

export async function hideProblems(page) {
  if (
    await page
      .locator(".markers-panel")
      .first()
      .isVisible()
      .catch(() => false)
  )
    await runCommand(page, "View: Hide Panel", 10_000).catch(() => {});
}

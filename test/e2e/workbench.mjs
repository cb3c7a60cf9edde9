// Page-level helpers for driving the VS Code workbench and the ConvLens inspector webview
// (selectors from shared/docs/E2E.md). Every wait has a timeout so a broken extension fails a
// test instead of hanging CI.
import { sleep } from "./harness.mjs";

/** Opens the workbench on `folder` and waits until it is usable. */
export async function openWorkbench(page, baseUrl, folder) {
  await page.goto(`${baseUrl}/?folder=${encodeURIComponent(folder)}`, { timeout: 60_000 });
  await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
  await page.locator(".statusbar").waitFor({ timeout: 60_000 });
  // The explorer lists the folder once the file service is up; a good sign the workbench settled.
  await page.locator(".explorer-folders-view .monaco-list-row").first().waitFor({ timeout: 60_000 });
}

/** Clears and fills the quick input (palette, quick open, or an extension's QuickPick). */
export async function fillQuickInput(page, text) {
  const input = page.locator(".quick-input-widget input.input");
  await input.waitFor({ state: "visible", timeout: 10_000 });
  // VS Code's simple file dialog sets its own value (the folder) once it has listed it, which can come
  // after our fill on a busy machine: filled again until the value stays ours for a moment.
  for (let attempt = 0; attempt < 20; attempt++) {
    await input.fill(text, { timeout: 10_000 });
    await sleep(400);
    if ((await input.inputValue().catch(() => "")) === text) break;
  }
  return input;
}

async function closeQuickInput(page) {
  if (await page.locator(".quick-input-widget").isVisible()) await page.keyboard.press("Escape");
}

/**
 * Runs a command by its palette title. Retries until the row appears: right after load the
 * extension may not have registered its commands yet.
 */
export async function runCommand(page, title, timeoutMs = 45_000, { execute = true } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await closeQuickInput(page);
    await page.keyboard.press("F1");
    const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
    try {
      // A dialog left by an earlier test (a modal makes the palette inert) is dismissed by the
      // Escape below, and the palette tried again.
      await fillQuickInput(page, `>${title}`);
      await row.waitFor({ state: "visible", timeout: 3000 });
      await page.keyboard.press(execute ? "Enter" : "Escape");
      return;
    } catch {
      if (Date.now() > deadline)
        throw new Error(`command "${title}" not in the palette after ${timeoutMs / 1000} s`);
      await page.keyboard.press("Escape");
      await sleep(1000);
    }
  }
}

/**
 * Waits until an extension's contributions are known to the workbench, seen through one of its
 * commands in the palette. Opening a .onnx file before that shows the binary-file text editor
 * instead of the custom editor.
 */
export async function waitForCommand(page, title, timeoutMs = 45_000) {
  await runCommand(page, title, timeoutMs, { execute: false });
}

/** Picks the quick-pick row whose label contains `label` (typing it first to narrow the list). */
export async function pickQuickItem(page, label, timeoutMs = 20_000) {
  await page.locator(".quick-input-widget").waitFor({ state: "visible", timeout: timeoutMs });
  await fillQuickInput(page, label);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: label }).first();
  await row.waitFor({ state: "visible", timeout: timeoutMs });
  await row.click();
}

/** Opens a workspace file by clicking it in the explorer; falls back to quick open (Ctrl+P). */
export async function openFile(page, name) {
  const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label^="${name}"]`).first();
  if (await row.isVisible().catch(() => false)) {
    await row.click();
    // The explorer may insert or remove a row (a file an earlier test wrote or deleted) between
    // finding ours and clicking it; then another file opens. Checked, and quick open used instead.
    const tab = page.locator(`.tabs-container .tab.active[aria-label^="${name}"]`);
    if (
      await tab.waitFor({ timeout: 5000 }).then(
        () => true,
        () => false,
      )
    )
      return;
  }
  await closeQuickInput(page);
  await page.keyboard.press("Control+P");
  await pickQuickItem(page, name);
}

/**
 * Opens a model file and waits for a webview editor to appear. Right after start-up VS Code
 * sometimes (about 1 run in 7 here) opens the file in the binary text editor although ConvLens's
 * commands are already registered: the custom editor registry is filled a little later. Then
 * close and try again; a file that never opens in a webview still fails after the last try.
 */
export async function openInWebview(page, name, { tries = 3, log = console.log } = {}) {
  for (let i = 1; ; i++) {
    await openFile(page, name);
    try {
      await page.locator("iframe.webview").first().waitFor({ state: "attached", timeout: 10_000 });
      return;
    } catch {
      if (i >= tries) throw new Error(`${name} did not open in a webview editor (${tries} tries)`);
      log(`  (${name} opened without a webview, try ${i}; retrying)`);
      await closeAllEditors(page);
      await sleep(2000);
    }
  }
}

/** Closes every editor (between tests, so the last webview is the one under test). */
export async function closeAllEditors(page) {
  // Keyboard focus inside a webview (the inspector's Run tab) keeps F1 from the workbench: give it
  // back to the workbench first.
  await page
    .locator(".part.sidebar .composite.title")
    .first()
    .click({ timeout: 2000 })
    .catch(() => {});
  await closeQuickInput(page);
  await runCommand(page, "View: Close All Editors", 30_000);
  await page
    .locator("iframe.webview")
    .first()
    .waitFor({ state: "detached", timeout: 10_000 })
    .catch(() => {});
}

/** The inspector's document: two iframes deep (workbench → webview host → #active-frame). */
export const inspectorFrame = (page) =>
  page.frameLocator("iframe.webview.ready").last().frameLocator("#active-frame");

/**
 * Waits until the inspector shows `modelName` with totals computed. Fails early with the
 * inspector's own message when it shows [data-testid="error"].
 */
export async function waitForInspector(page, modelName, timeoutMs = 60_000) {
  const frame = inspectorFrame(page);
  const deadline = Date.now() + timeoutMs;
  let last = "no webview";
  while (Date.now() < deadline) {
    const error = frame.locator('[data-testid="error"]');
    if (await error.isVisible().catch(() => false)) {
      const msg = (await error.textContent().catch(() => "")).trim();
      if (msg) throw new Error(`inspector shows an error: ${msg}`);
    }
    const name = await frame
      .locator('[data-testid="model-name"]')
      .textContent({ timeout: 500 })
      .catch(() => null);
    const params = await frame
      .locator('[data-testid="total-params"]')
      .getAttribute("data-value", { timeout: 500 })
      .catch(() => null);
    last = `model-name=${JSON.stringify(name)}, total-params data-value=${JSON.stringify(params)}`;
    if (name?.includes(modelName) && params) return frame;
    await sleep(500);
  }
  throw new Error(`inspector for ${modelName} not ready after ${timeoutMs / 1000} s (${last})`);
}

/** Reads a total's raw value (data-value) as a number. */
export async function readTotal(frame, testId) {
  const v = await frame.locator(`[data-testid="${testId}"]`).getAttribute("data-value", { timeout: 5000 });
  return v === null ? null : Number(v);
}

/** Every layer row as {index, name, visible, cells: {col: {text, value}}}, in one round trip. */
export async function readLayerTable(frame) {
  const table = frame.locator('table[data-testid="layer-table"]');
  await table.waitFor({ state: "attached", timeout: 10_000 });
  return table.locator("tr[data-layer-index]").evaluateAll((rows) =>
    rows.map((tr) => {
      const cells = {};
      for (const td of tr.querySelectorAll("td[data-col]")) {
        cells[td.dataset.col] = { text: td.textContent.trim(), value: td.dataset.value ?? null };
      }
      const style = getComputedStyle(tr);
      const visible =
        tr.getClientRects().length > 0 && style.visibility !== "hidden" && style.display !== "none";
      return { index: Number(tr.dataset.layerIndex), name: tr.dataset.layerName, visible, cells };
    }),
  );
}

/** Open a model in the inspector and switch to its Run tab; returns the webview frame. */
export async function openRunTab(page, file, modelName, { log = console.log } = {}) {
  await closeAllEditors(page);
  await openInWebview(page, file, { log });
  const frame = await waitForInspector(page, modelName);
  await frame.locator('[data-testid="tab-run"]').click({ timeout: 10_000 });
  await frame.locator('[data-testid="input-source"]').waitFor({ state: "visible", timeout: 15_000 });
  return frame;
}

/** Choose the Run panel's bundled sample whose name contains `name`. */
export async function selectSample(frame, name) {
  const source = frame.locator('[data-testid="input-source"]');
  const options = await source
    .locator("option")
    .evaluateAll((os) => os.map((o) => ({ value: o.value, text: o.textContent })));
  const o = options.find((x) => x.text.includes(name));
  if (!o) throw new Error(`no ${name} sample offered (options: ${options.map((x) => x.text).join(", ")})`);
  await source.selectOption(o.value);
}

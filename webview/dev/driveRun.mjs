// Dev harness (not shipped): drives the Run tab served by runServer.cjs in headless chromium.
//   node webview/dev/driveRun.mjs [PAGE_URL] [OUT_DIR]
// Prints the backend, forward time, predictions, logits and console errors; saves screenshots.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(path.join(root, ".tools/e2e/node_modules/"));
const { chromium } = require("playwright-core");
const url = process.argv[2] ?? "http://127.0.0.1:8765/";
const out = process.argv[3] ?? path.join(root, "out/preview");

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    // WEBGPU=1: SwiftShader's WebGPU (a fallback adapter) and WebGL, as shared/docs/E2E.md describes.
    ...(process.env.WEBGPU
      ? [
          "--enable-unsafe-webgpu",
          "--use-webgpu-adapter=swiftshader",
          "--enable-unsafe-swiftshader",
          "--use-angle=swiftshader",
        ]
      : []),
  ],
});
const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
page.on("console", (m) => {
  if (m.type() === "error" || m.type() === "warning")
    console.log(`[console.${m.type()}] ${m.text().slice(0, 300)}`);
});
page.on("pageerror", (e) => console.log(`[pageerror] ${e.message}`));
try {
  await page.goto(url);
  await page.locator('[data-testid="tab-run"]').click();
  await page.locator('[data-testid="run-button"]').click();
  await page.locator('[data-testid="logits"]').waitFor({ state: "attached", timeout: 60_000 });
  const backend = await page.locator('[data-testid="run-backend"]').textContent();
  const ms = await page.locator('[data-testid="run-ms"]').textContent();
  const preds = await page
    .locator('[data-testid="prediction"]')
    .evaluateAll((els) => els.map((e) => [e.dataset.class, Number(e.dataset.prob).toFixed(4)]));
  const logits = await page.locator('[data-testid="logits"]').getAttribute("data-values");
  const source = await page
    .locator('[data-testid="input-source"]')
    .evaluate((e) => e.options[e.selectedIndex]?.text, null, { timeout: 1000 })
    .catch(() => null);
  console.log(
    JSON.stringify({ source, backend, ms, preds, logits: JSON.parse(logits ?? "[]").slice(0, 10) }),
  );
  await page.screenshot({ path: path.join(out, "run-predictions.png") });
  // Second run: time without warm-up.
  await page.locator('[data-testid="run-button"]').click();
  await page.waitForTimeout(500);
  console.log("second run", await page.locator('[data-testid="run-ms"]').textContent());
  const layer = process.env.LAYER;
  if (layer) {
    await page.locator('vscode-tab-header:has-text("Table")').click();
    await page.locator(`tr[data-layer-name="${layer}"] td[data-col="name"]`).click();
    await page.locator('[data-testid="tab-run"]').click();
    await page.locator('[data-testid="run-view-featureMaps"]').click();
    const grid = page.locator('[data-testid="feature-maps"]');
    await grid.waitFor({ timeout: 60_000 });
    console.log(
      "feature maps",
      await grid.getAttribute("data-kind"),
      await grid.getAttribute("data-channels"),
      "canvases",
      await grid.locator("canvas").count(),
    );
    console.log("stats", await page.locator('[data-testid="activation-stats"] dl').first().textContent());
    await page.screenshot({ path: path.join(out, "run-feature-maps.png") });
    if ((await grid.getAttribute("data-kind")) === "maps") {
      await grid.locator("button").first().click();
      const zoom = page.locator('[data-testid="fm-zoom"]');
      await zoom.waitFor();
      const box = await zoom.boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
      console.log("tooltip", await page.locator('[data-testid="pixel-tooltip"]').textContent());
      await page.screenshot({ path: path.join(out, "run-zoom.png") });
    }
    await page.locator('[data-testid="run-view-filters"]').click();
    const filters = page.locator('[data-testid="filters"]');
    const ok = await filters.waitFor({ timeout: 20_000 }).then(
      () => true,
      () => false,
    );
    if (ok)
      console.log(
        "filters",
        await filters.getAttribute("data-filters"),
        await filters.getAttribute("data-mode"),
        "canvases",
        await filters.locator("canvas").count(),
      );
    else console.log("filters view:", await page.locator(".filters-view").textContent());
    await page.screenshot({ path: path.join(out, "run-filters.png") });
  }
  console.log(
    "status:",
    await page.locator('[data-testid="run-status"]').textContent(),
    "| notes:",
    await page.locator('[data-testid="run-notes"]').textContent(),
  );
  const posted = await page.evaluate(() =>
    window.posted
      .filter((m) => m.type !== "savePng")
      .map((m) => m.type)
      .join(","),
  );
  console.log("posted:", posted);
} catch (e) {
  console.log("FAILED", e.message);
  await page.screenshot({ path: path.join(out, "run-failed.png") });
}
await browser.close();

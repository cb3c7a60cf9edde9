import fs from "node:fs";
import { closeAllEditors, openFile } from "./workbench.mjs";
import { sleep } from "./harness.mjs";
export const tests = [
  {
    name: "probe python",
    async run({ page, screenshot }) {
      await closeAllEditors(page);
      await openFile(page, "custom_models.py");
      await sleep(5000);
      await screenshot("probe");
      fs.writeFileSync("test-results/e2e/probe.html", await page.locator(".editor-instance").first().innerHTML());
      const line = page.locator(".view-line", { hasText: "self.c1 = nn.Conv2d" });
      const box = await line.locator("span", { hasText: "nn" }).first().boundingBox();
      console.log(box);
      await page.locator(".view-line", { hasText: "self.c1 = nn.Conv2d" }).getByText("Conv2d").first().hover();
      await sleep(2000);
      await screenshot("probe-hover");
      fs.writeFileSync("test-results/e2e/probe-hover.html", await page.locator(".monaco-hover").first().innerHTML().catch(e=>String(e)));
    },
  },
];

// End-to-end test of ConvLens in a Jupyter notebook: the code cells of notebook_cnn.ipynb (copied
// into the workspace by run.mjs) are analysed as one program, and the results show in the cells of
// VS Code's notebook editor. Run alone with `node test/e2e/run.mjs --grep notebook`.
//
// The notebook: imports (after a `%matplotlib inline`) in one cell, `class Net` in another,
// `model = Net(num_classes=10)` after a `!pip install` line, then `model(torch.randn(4, 3, 32, 32))`.
// Expected numbers, by hand, for the input 4×3×32×32 the last cell gives:
//   conv1 3→32, 3×3, pad 1: 4×32×32×32; params 3·32·9 + 32 = 896; MACs 4·32·32·32 · 27 = 3,538,944
//   pool 2: 4×32×16×16
//   conv2 32→64, 3×3, pad 1: 4×64×16×16; params 32·64·9 + 64 = 18,496; MACs 4·64·16·16 · 288 = 18,874,368
//   pool 2: 4×64×8×8; flatten: 4×4096
//   fc 4096→10: params 40,970; MACs 4·4096·10 = 163,840
//   totals: 60,362 params ("60.36 k"), 22,577,152 MACs ("22.58 MMACs")
import assert from "node:assert/strict";
import { sleep } from "./harness.mjs";
import { closeAllEditors, openFile } from "./workbench.mjs";
import { lensesAbove as lensesAboveIn, lineText as lineTextIn, norm, poll, PATIENCE } from "./editorText.mjs";

const CELLS = ".notebook-editor";
const lineText = (page, text) => lineTextIn(page, text, CELLS);
const lensesAbove = (page, text) => lensesAboveIn(page, text, CELLS);

const CLASS_LINE = "class Net(nn.Module):";
const CONV1_LINE = "self.conv1 = nn.Conv2d(3, 32, 3, padding=1)";
const FORWARD_LINE = "x = self.pool(F.relu(self.conv1(x)))";
const INSTANCE_LINE = "model = Net(num_classes=10)";

/**
 * Scrolls the notebook with the mouse wheel until the line containing `text` is on screen (the
 * notebook's list scrolls itself; cells below the fold may not even be rendered yet).
 */
async function scrollIntoView(page, text) {
  const list = await page.locator(".notebook-editor").first().boundingBox();
  if (!list) return;
  await page.mouse.move(list.x + list.width / 2, list.y + list.height / 2);
  for (let i = 0; i < 15; i++) {
    const line = await page
      .locator(".notebook-editor .view-line", { hasText: text })
      .first()
      .boundingBox({ timeout: PATIENCE * 500 })
      .catch(() => null);
    if (line && line.y > list.y + 80 && line.y + line.height < list.y + list.height - 20) return;
    await page.mouse.wheel(0, 250);
    await sleep(300);
  }
}

export const tests = [
  {
    name: "notebook_cnn.ipynb: shape hints in the class's cell, the totals' CodeLens on the instance line",
    async run({ page, screenshot }) {
      const failures = [];
      const check = (cond, msg) => cond || failures.push(msg);
      await closeAllEditors(page);
      await openFile(page, "notebook_cnn.ipynb");
      await page
        .locator(".notebook-editor .view-line", { hasText: CLASS_LINE })
        .first()
        .waitFor({ state: "visible", timeout: PATIENCE * 20_000 });

      // Inlay hints in the class's cell (the program's offsets mapped back to that cell).
      const conv1 = await poll(
        () => lineText(page, CONV1_LINE),
        (t) => t?.includes("→"),
        20_000,
      );
      check(
        conv1?.includes("→ 4×32×32×32"),
        `inlay hint "→ 4×32×32×32" on the self.conv1 line: line reads ${JSON.stringify(conv1)}`,
      );
      const fwd = await poll(
        () => lineText(page, FORWARD_LINE),
        (t) => t?.includes("→"),
        5000,
      );
      check(
        fwd?.includes("→ 4×32×16×16"),
        `inlay hint "→ 4×32×16×16" on the first forward line: line reads ${JSON.stringify(fwd)}`,
      );

      const classLenses = await lensesAbove(page, CLASS_LINE).catch(() => []);
      const classSummary = classLenses.find((t) => t.startsWith("ConvLens:")) ?? "";
      check(
        classSummary.includes("as built by model"),
        `class lens says "as built by model": got ${JSON.stringify(classSummary)}`,
      );
      await screenshot("notebook-cnn-hints");

      // The model's totals on the line that builds it, two cells below the class (below the fold).
      await scrollIntoView(page, INSTANCE_LINE);
      const lenses = await poll(
        () => lensesAbove(page, INSTANCE_LINE),
        (l) => l?.some((t) => t.startsWith("ConvLens:")),
        15_000,
      );
      const summary = lenses?.find((t) => t.startsWith("ConvLens:")) ?? "";
      check(
        summary,
        `no ConvLens CodeLens above "${INSTANCE_LINE}" (lenses there: ${JSON.stringify(lenses)})`,
      );
      for (const want of ["60.36 k params", "22.58 MMACs", "input 4×3×32×32 (from the code)"])
        check(
          summary.includes(want),
          `instance lens shows ${JSON.stringify(want)}: got ${JSON.stringify(summary)}`,
        );
      await screenshot("notebook-cnn-lens");
      assert.ok(failures.length === 0, `${failures.length} check(s) failed:\n- ${failures.join("\n- ")}`);
    },
  },
];

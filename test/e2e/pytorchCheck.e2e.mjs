// Check with PyTorch (issue 15) in real VS Code, with Debian's torch (/usr/bin/python3, set as
// convlens.pythonPath by run.mjs): a model built through a registry of builder functions shows
// no static shapes, and the command fills its hints from PyTorch's trace; a file with a shape bug
// gets PyTorch's own error on the line that fails. Expected values: PyTorch's — running
// registry_model.py prints torch.Size([2, 5]); shape_bug.py raises "mat1 and mat2 shapes cannot
// be multiplied (1x6272 and 8192x10)" at `return self.fc(…)`.
import {
  checker,
  hideProblems,
  lensesOnceShown,
  lineSelected,
  lineText,
  openPython,
  poll,
  problemsText,
  showProblems,
  PATIENCE,
} from "./editorText.mjs";
import fs from "node:fs";
import path from "node:path";
import { runOnce } from "./runTab.mjs";
import { sleep } from "./harness.mjs";
import {
  closeAllEditors,
  fillQuickInput,
  openFile,
  pickQuickItem,
  readLayerTable,
  readTotal,
  runCommand,
  selectSample,
  waitForInspector,
} from "./workbench.mjs";

const COMMAND = "ConvLens: Check Model with PyTorch";

export const tests = [
  {
    name: "registry_model.py: unknown statically, Check with PyTorch fills the hints (traced)",
    async run({ page, screenshot }) {
      const c = checker();
      // The hint lands inside the line (`print(model(x) → 2×5 (traced).shape)`): match its start.
      const CALL = "print(model(x)";
      const CONV = "nn.Conv2d(3, 16, 3, padding=1),";
      await openPython(page, "registry_model.py", CALL);
      const before = await lensesOnceShown(page, CALL, "ConvLens:");
      c.check(
        before?.some((t) => t.includes("cannot build model")),
        `the static lens says it cannot build the model: got ${JSON.stringify(before)}`,
      );
      c.check(
        before?.includes("Check with PyTorch"),
        `a "Check with PyTorch" lens: got ${JSON.stringify(before)}`,
      );
      const conv0 = await lineText(page, CONV).catch((e) => String(e));
      c.check(!conv0.includes("→"), `no static hint on the first conv yet: ${JSON.stringify(conv0)}`);
      await runCommand(page, COMMAND);
      // 2×3×32×32 through Conv2d(3, 16, 3, padding=1): 2×16×32×32 (traced by PyTorch).
      const conv = await poll(
        () => lineText(page, CONV),
        (t) => t?.includes("(traced)"),
        60_000,
      );
      c.check(conv?.includes("→ 2×16×32×32 (traced)"), `traced hint on the conv: ${JSON.stringify(conv)}`);
      const linear = await lineText(page, "nn.Linear(32, num_classes),").catch((e) => String(e));
      c.check(linear.includes("→ 2×5 (traced)"), `traced hint on the Linear: ${JSON.stringify(linear)}`);
      const call = await lineText(page, CALL).catch((e) => String(e));
      c.check(call.includes("→ 2×5 (traced)"), `traced output on model(x): ${JSON.stringify(call)}`);
      const after = await lensesOnceShown(page, CALL, "PyTorch", 10_000);
      c.check(
        after?.some((t) => t.includes("8 layers traced")),
        `the lens says what PyTorch traced: ${JSON.stringify(after)}`,
      );
      await screenshot("pytorch-check-registry");
      c.done();
    },
  },
  {
    name: "registry_model.py: after Check with PyTorch the inspector shows PyTorch's rows and column",
    async run({ page, screenshot }) {
      const c = checker();
      const CALL = "print(model(x)";
      await openPython(page, "registry_model.py", CALL);
      await lensesOnceShown(page, CALL, "ConvLens:");
      await runCommand(page, COMMAND);
      const lenses = await lensesOnceShown(page, CALL, "PyTorch (", 60_000);
      c.check(
        lenses?.some((t) => t.includes("8 layers traced")),
        `PyTorch traced the model: ${JSON.stringify(lenses)}`,
      );
      // One model in the file: the command opens it without asking.
      await runCommand(page, "ConvLens: Inspect Model Class");
      const frame = await waitForInspector(page, "model", 30_000);
      // 3·16·9+16 + 16·32·9+32 + 32·5+5 = 5,253 parameters (PyTorch's count, from the layers' sizes).
      c.check((await readTotal(frame, "total-params")) === 5253, "total params 5,253");
      const header = await frame
        .locator('th[data-col="pytorch"]')
        .textContent({ timeout: PATIENCE * 10_000 })
        .catch(() => null);
      c.check(header?.trim() === "PyTorch", `a PyTorch column: ${JSON.stringify(header)}`);
      const rows = await readLayerTable(frame);
      const cell = (name) => rows.find((r) => r.name === name)?.cells.pytorch?.text;
      // PyTorch: Conv2d(3, 16, 3, padding=1) on 2×3×32×32 → 2×16×32×32; the Linear → 2×5.
      c.check(cell("0") === "2×16×32×32 · 448 params", `row 0: ${JSON.stringify(cell("0"))}`);
      c.check(cell("7") === "2×5 · 165 params", `row 7: ${JSON.stringify(cell("7"))}`);
      c.check(rows.length === 8, `8 rows (the leaf modules PyTorch ran): ${rows.length}`);
      const line = await frame
        .locator('[data-testid="pytorch-line"]')
        .textContent({ timeout: PATIENCE * 5000 })
        .catch(() => "");
      c.check(
        /^PyTorch [\d.]+\S* on meta: 0 disagreements · 8 layers traced/.test(line),
        `the PyTorch line: ${JSON.stringify(line)}`,
      );
      await screenshot("pytorch-column-registry");
      c.done();
    },
  },
  {
    name: "shape_bug.py: Check with PyTorch shows PyTorch's error on the failing line",
    async run({ page, screenshot }) {
      const c = checker();
      const FAILING = "return self.fc(torch.flatten(x, 1))";
      await openPython(page, "shape_bug.py", FAILING);
      await lensesOnceShown(page, "model = SmallCnn()", "Check with PyTorch");
      await runCommand(page, COMMAND);
      // Two models (the class and the instance `model`): the command asks which.
      await pickQuickItem(page, "model");
      await showProblems(page);
      const problems = await poll(
        () => problemsText(page),
        (t) => t?.includes("PyTorch: RuntimeError"),
        60_000,
      );
      await screenshot("pytorch-check-shape-bug");
      const want = "mat1 and mat2 shapes cannot be multiplied (1x6272 and 8192x10)";
      const row = problems?.split("\n").find((l) => l.includes("PyTorch: RuntimeError")) ?? "";
      c.check(row.includes(want), `PyTorch's message in Problems: ${JSON.stringify(problems)}`);
      // The row ends with [Ln 17, Col …]: the line of `return self.fc(…)`.
      c.check(/Ln 17\b/.test(row), `on line 17 (return self.fc): ${JSON.stringify(row)}`);
      await hideProblems(page);
      c.done();
    },
  },
  {
    name: "custom_models.py: Export Model to ONNX with PyTorch, LeNet5 with a .pth checkpoint, opens in the inspector",
    async run({ page, screenshot, workspace }) {
      const c = checker();
      // Only the file must be the active editor (the quick pick names its models): an earlier test may have
      // left it scrolled past LeNet5, so no line of it is waited for.
      await closeAllEditors(page);
      await openFile(page, "custom_models.py");
      await page
        .locator(".tab.active", { hasText: "custom_models.py" })
        .waitFor({ timeout: PATIENCE * 15_000 });
      await runCommand(page, "ConvLens: Export Model to ONNX with PyTorch");
      await pickQuickItem(page, "LeNet5");
      await pickQuickItem(page, "Pick a checkpoint");
      // VS Code's own file dialogs (a path in the quick input): the checkpoint, then the target.
      await sleep(1000);
      await fillQuickInput(page, path.join(workspace, "lenet5_fp16.pth"));
      await page.keyboard.press("Enter");
      await sleep(1000);
      await fillQuickInput(page, path.join(workspace, "lenet5_export.onnx"));
      await page.keyboard.press("Enter");
      const frame = await waitForInspector(page, "lenet5_export", 90_000);
      // LeNet5: 61,706 parameters (shared/fixtures/expected/lenet5.json, PyTorch's count).
      const params = await poll(
        () => readTotal(frame, "total-params"),
        (v) => v !== null && v !== undefined,
        15_000,
      );
      c.check(params === 61706, `the exported model has LeNet5's 61,706 params: got ${params}`);
      await screenshot("pytorch-export-lenet5");

      // A row of the exported ONNX (node /c3/Conv) leads to the line of custom_models.py that built c3.
      const C3 = "self.c3 = nn.Conv2d(6, 16, kernel_size=5)";
      await frame
        .locator('tr[data-layer-name="c3"] td[data-col="name"]')
        .click({ timeout: PATIENCE * 10_000 });
      const onC3 = await poll(
        () => lineSelected(page, C3),
        (v) => v === true,
        15_000,
      );
      c.check(onC3 === true, `clicking row c3 selects "${C3}" in custom_models.py`);
      await screenshot("pytorch-export-row-to-source");

      // The Run tab on the trained weights: PyTorch's logits and top-1 on the bundled digit_3.png
      // (test/fixtures/weights/lenet5_fp16_digit_3.ref.json, tools/make_export_run_ref.py).
      const ref = JSON.parse(
        fs.readFileSync(
          path.resolve(import.meta.dirname, "../fixtures/weights/lenet5_fp16_digit_3.ref.json"),
          "utf8",
        ),
      );
      await frame.locator('[data-testid="tab-run"]').click({ timeout: PATIENCE * 10_000 });
      await frame
        .locator('[data-testid="input-source"]')
        .waitFor({ state: "visible", timeout: PATIENCE * 15_000 });
      await selectSample(frame, "digit_3");
      const run = await runOnce(frame, screenshot, "export");
      const top1 = run.logits.indexOf(Math.max(...run.logits));
      c.check(top1 === ref.top1, `top-1 ${top1} (${run.backend}) is PyTorch's ${ref.top1}`);
      const diff = Math.max(...run.logits.map((v, i) => Math.abs(v - ref.logits[i])));
      c.check(
        run.logits.length === ref.logits.length && diff <= 1e-4,
        `logits within 1e-4 of PyTorch's: max |Δ| ${diff} (${JSON.stringify(run.logits)})`,
      );
      await screenshot("pytorch-export-run-digit3");
      c.done();
    },
  },
];

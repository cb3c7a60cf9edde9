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
  lineText,
  openPython,
  poll,
  problemsText,
  showProblems,
} from "./editorText.mjs";
import path from "node:path";
import { sleep } from "./harness.mjs";
import {
  closeAllEditors,
  fillQuickInput,
  openFile,
  pickQuickItem,
  readTotal,
  runCommand,
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
      await page.locator(".tab.active", { hasText: "custom_models.py" }).waitFor({ timeout: 15_000 });
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
      c.done();
    },
  },
];

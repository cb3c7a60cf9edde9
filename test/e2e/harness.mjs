// Processes for the end-to-end tests: a code-server profile, code-server itself and headless
// chromium, as shared/docs/E2E.md describes. Shared by test/e2e/run.mjs and scripts/start.mjs;
// page-level helpers are in workbench.mjs. Every wait has a timeout so nothing hangs CI.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createRequire } from "node:module";
import { chromiumPath, cleanNpmEnv, codeServerEntry, e2eDir, node24 } from "../../scripts/ensure-tools.mjs";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rejects after `ms` with a message naming what took too long. */
export async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A free TCP port on 127.0.0.1 (or the preferred one when it is free). */
export function freePort(preferred = 0) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", (err) => {
      if (preferred) resolve(freePort(0));
      else reject(err);
    });
    srv.listen(preferred, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Profile settings for a session whose folder opens untrusted (Restricted Mode), without the prompt. */
export const UNTRUSTED_SETTINGS = {
  "security.workspace.trust.enabled": true,
  "security.workspace.trust.startupPrompt": "never",
  "security.workspace.trust.banner": "never",
  "security.workspace.trust.emptyWindow": false,
};

/** A code-server profile: user-data-dir with the settings E2E.md recommends, and an extensions dir. */
export function makeProfile(dir, extraSettings = {}) {
  const userDataDir = path.join(dir, "user-data");
  const extensionsDir = path.join(dir, "extensions");
  fs.mkdirSync(path.join(userDataDir, "User"), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  const settings = {
    "workbench.startupEditor": "none",
    "security.workspace.trust.enabled": false,
    "chat.disableAIFeatures": true,
    "extensions.autoUpdate": false,
    "extensions.autoCheckUpdates": false,
    "update.mode": "none",
    "workbench.tips.enabled": false,
    "telemetry.telemetryLevel": "off",
    "workbench.secondarySideBar.defaultVisibility": "hidden", // the chat panel would take a third of the screenshots
    ...extraSettings,
  };
  fs.writeFileSync(path.join(userDataDir, "User", "settings.json"), `${JSON.stringify(settings, null, 2)}\n`);
  return { userDataDir, extensionsDir };
}

const profileArgs = (p) => ["--user-data-dir", p.userDataDir, "--extensions-dir", p.extensionsDir];

/** Installs a .vsix into the profile with code-server's own CLI (about 1 s). */
export function installVsix(vsix, profile) {
  const r = spawnSync(
    node24,
    [codeServerEntry, ...profileArgs(profile), "--install-extension", vsix, "--force"],
    {
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  if (r.status !== 0) {
    throw new Error(`installing ${vsix} failed (exit ${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout.trim();
}

/**
 * Starts code-server on 127.0.0.1:port in its own process group (so stop() also ends the
 * extension host and the other processes it forks) and waits for /healthz.
 */
export async function startCodeServer({ port, profile, workspace, logFile, stdio, trust = false }) {
  const args = [
    codeServerEntry,
    "--auth",
    "none",
    "--bind-addr",
    `127.0.0.1:${port}`,
    ...profileArgs(profile),
    "--disable-telemetry",
    "--disable-update-check",
    // With `trust`, VS Code asks for workspace trust as it would for a user (Restricted Mode tests).
    ...(trust ? [] : ["--disable-workspace-trust"]),
    "--disable-getting-started-override",
    workspace,
  ];
  const out = logFile ? fs.openSync(logFile, "a") : "ignore";
  const child = spawn(node24, args, {
    detached: true,
    stdio: stdio ?? ["ignore", out, out],
    // No extension gallery: nothing reaches for the internet (open-vsx queries fail offline, noisily).
    env: { ...cleanNpmEnv(), EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: "" }) },
  });
  if (typeof out === "number") fs.closeSync(out);
  let exited = null;
  child.once("exit", (code, signal) => {
    exited = { code, signal };
  });
  const url = `http://127.0.0.1:${port}`;
  const server = {
    child,
    url,
    stop: () => stopProcessGroup(child),
    get exited() {
      return exited;
    },
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`code-server exited during start (${JSON.stringify(exited)})`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  await server.stop();
  throw new Error("code-server did not answer /healthz within 60 s");
}

/** SIGTERM to the whole process group, SIGKILL after 5 s; resolves when the leader is gone. */
export async function stopProcessGroup(child) {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) {
    killGroup(child.pid, "SIGKILL"); // stragglers (extension host) may outlive the leader
    return;
  }
  const gone = new Promise((r) => child.once("exit", r));
  killGroup(child.pid, "SIGTERM");
  const ok = await Promise.race([gone.then(() => true), sleep(5000).then(() => false)]);
  killGroup(child.pid, "SIGKILL");
  if (!ok) await Promise.race([gone, sleep(2000)]);
}

function killGroup(pid, signal) {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** playwright-core from .tools/e2e (it is not a project dependency). */
export function loadPlaywright() {
  const require = createRequire(path.join(e2eDir, "package.json"));
  return require("playwright-core");
}

/** Headless Debian chromium with the flags from E2E.md. */
export async function launchBrowser() {
  const { chromium } = loadPlaywright();
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: 60_000,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
      // WebGPU on SwiftShader (a software adapter: auto never picks it, convlens.backend can force it).
      "--enable-unsafe-webgpu",
      "--use-webgpu-adapter=swiftshader",
      "--enable-unsafe-swiftshader",
    ],
  });
}

// Console output that is expected in a sandbox without internet and says nothing about the extension.
const NOISE = [
  /open-vsx|marketplace|gallery|vscode-unpkg|vscode-cdn|update\.code\.visualstudio/i,
  /Failed to load resource/i, // URL-less duplicate of the http/request-failed lines run.mjs prints
  /\/vsda\//, // code-server ships without Microsoft's signing module
  /web worker extension host is started in a same-origin iframe/i,
  /net::ERR_/i,
  /onnxruntime|\[W:onnxruntime/i,
  /punycode|DeprecationWarning/i,
  /allow-scripts and allow-same-origin/i,
  /service ?worker/i,
  /Content Security Policy.*(vscode-resource|frame-ancestors)/i,
  /Ignoring (the )?unrecognized feature|Unrecognized feature/i,
  /Long running operations during shutdown|Extension host .* terminated/i,
  /\[Extension Host\].*(open-vsx|ms-vscode|github)/i,
  /No available adapters/i, // WebGPU probe without a GPU: the Run panel then uses wasm
];
export const isNoise = (text) => NOISE.some((re) => re.test(text));

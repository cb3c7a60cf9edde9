/**
 * Entry point of the inspector webview (bundled to dist/webview.js).
 * Wires the VS Code webview API to InspectorApp and tells the host it is ready.
 * Only types come from the host side; nothing here imports `vscode`.
 */
// Only the components used, so the bundle carries just these and lit.
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-tabs/index.js";
import "@vscode-elements/elements/dist/vscode-tab-header/index.js";
import "@vscode-elements/elements/dist/vscode-tab-panel/index.js";
import { isHostToWebview, type WebviewToHost } from "../src/protocol/messages";
import { EARLY_MESSAGES, isPacked, unpack } from "../src/protocol/wire";
import { InspectorApp } from "./app";
import type { PersistedState } from "./viewModel";
import { markEpoch, measureSince } from "../src/runtime/shared/timing";

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: PersistedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

measureSince("script loaded (from the page's start)", 0);
const vscode = acquireVsCodeApi();
const root = document.getElementById("app") ?? document.body;
const app = new InspectorApp(root, {
  post: (message) => vscode.postMessage(message),
  getState: () => vscode.getState(),
  setState: (state) => vscode.setState(state),
});

function dispatch(message: unknown): void {
  if (!isHostToWebview(message)) return;
  // The host's steps (resolve, analysis, post) for the bench's breakdown: nothing to show.
  if (message.type === "hostTimes") for (const s of message.stamps) markEpoch(`host: ${s.step}`, s.at);
  else app.handle(message);
}

/** Messages are handled in the order they came: a gzipped analysis is opened asynchronously. */
let inOrder: Promise<void> = Promise.resolve();
function receive(data: unknown): void {
  inOrder = inOrder
    .then(async () => {
      const start = performance.now();
      const message = isPacked(data) ? await unpack(data) : data;
      if (isPacked(data)) measureSince("unpack message", start);
      dispatch(message);
    })
    .catch((e: unknown) => vscode.postMessage({ type: "webviewError", message: String(e) }));
}
// Those that came before this script ran (the page's inline script kept them), then the others.
const early = (window as unknown as Partial<Record<string, () => unknown[]>>)[EARLY_MESSAGES];
for (const data of early?.() ?? []) receive(data);
window.addEventListener("message", (event: MessageEvent<unknown>) => receive(event.data));

// Errors in here are invisible to the user otherwise; the host logs them.
window.addEventListener("error", (event) => {
  vscode.postMessage({
    type: "webviewError",
    message: `${event.message} (${event.filename}:${event.lineno})`,
  });
});
window.addEventListener("unhandledrejection", (event) => {
  vscode.postMessage({ type: "webviewError", message: String(event.reason) });
});

vscode.postMessage({ type: "ready" });

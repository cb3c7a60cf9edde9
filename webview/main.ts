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
import { fromWire, isPacked } from "../src/protocol/wire";
import { InspectorApp } from "./app";
import type { PersistedState } from "./viewModel";
import { markEpoch, measureSince, timed } from "../src/runtime/shared/timing";

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

window.addEventListener("message", (event: MessageEvent<unknown>) => {
  const data: unknown = event.data;
  const message = isPacked(data) ? timed("unpack message", () => fromWire(data)) : data;
  if (!isHostToWebview(message)) return;
  // The host's steps (resolve, analysis, post) for the bench's breakdown: nothing to show.
  if (message.type === "hostTimes") for (const s of message.stamps) markEpoch(`host: ${s.step}`, s.at);
  else app.handle(message);
});

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

/**
 * Dev preview only (never bundled into dist/webview.js): a stand-in for the
 * API VS Code injects into webviews. Posted messages are logged to the console
 * and kept on `window.posted`; `?tab=N&select=I` seed the persisted state.
 */
const params = new URLSearchParams(location.search);
const posted: unknown[] = [];
let state: unknown = {
  tab: Number(params.get("tab") ?? "0"),
  filter: params.get("filter") ?? "",
  sort: null,
  selected: params.has("select") ? Number(params.get("select")) : null,
};

Object.assign(globalThis, {
  posted,
  acquireVsCodeApi: () => ({
    postMessage(message: unknown): void {
      posted.push(message);
      console.log("posted", JSON.stringify(message));
    },
    getState: (): unknown => state,
    setState(next: unknown): void {
      state = next;
    },
  }),
});

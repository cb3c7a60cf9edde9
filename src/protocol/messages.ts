/**
 * The one protocol between the extension host and the inspector webview.
 * Both sides import these types; nothing else crosses the boundary.
 */
import type { ModelAnalysis } from "../core/analysis/result";

export type HostToWebview =
  /** Sent while the host reads and analyses the file. */
  | { readonly type: "loading"; readonly file: string }
  /** The finished analysis. */
  | { readonly type: "analysis"; readonly file: string; readonly analysis: ModelAnalysis }
  /** Bad input or a failure: one line for the user. */
  | { readonly type: "error"; readonly file: string; readonly message: string }
  /** Select (and scroll to) a layer, e.g. from a command. */
  | { readonly type: "selectLayer"; readonly index: number };

export type WebviewToHost =
  /** The webview has loaded its script and can receive messages. */
  | { readonly type: "ready" }
  /** The user selected a layer (table row or graph node). */
  | { readonly type: "layerSelected"; readonly index: number }
  /** Ask the host to save the analysis as JSON next to the model. */
  | { readonly type: "exportJson" }
  /** An error inside the webview, for the host's log. */
  | { readonly type: "webviewError"; readonly message: string };

export function isWebviewToHost(m: unknown): m is WebviewToHost {
  if (typeof m !== "object" || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return t === "ready" || t === "layerSelected" || t === "exportJson" || t === "webviewError";
}

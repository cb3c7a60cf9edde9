/**
 * The inspector webview's HTML document. Pure (no vscode import) so it can be
 * unit-tested: the caller supplies the webview's CSP source, a fresh nonce and
 * the webview URIs of the bundled script and stylesheets.
 */

import { EARLY_MESSAGES } from "../protocol/wire";

/** Keeps the messages that come before webview.js runs, until it takes them (see EARLY_MESSAGES). */
const EARLY_MESSAGES_SCRIPT =
  '(() => { const kept = []; const keep = (e) => kept.push(e.data); addEventListener("message", keep); ' +
  `window.${EARLY_MESSAGES} = () => { removeEventListener("message", keep); return kept; }; })();`;

/**
 * The inspector's stylesheets in media/, in cascade order: inspector.css first (theme variables,
 * layout), then one per area. Later files may override earlier ones, as when they were one file.
 */
export const INSPECTOR_STYLESHEETS = [
  "inspector.css",
  "table.css",
  "graph.css",
  "details.css",
  "runPanel.css",
  "runOutputs.css",
  "explain.css",
] as const;

export interface InspectorHtmlOptions {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  /** Random per load; only scripts carrying it run. */
  readonly nonce: string;
  readonly scriptUri: string;
  /**
   * The chunks the script imports statically (dist/webview-preload.json): listed as modulepreload
   * links, they are fetched with the script instead of once it has been fetched and parsed.
   */
  readonly preloadUris?: readonly string[];
  /** One URI per INSPECTOR_STYLESHEETS entry, in that order. */
  readonly styleUris: readonly string[];
}

/**
 * The chunk paths (relative to dist/) in dist/webview-preload.json, written by the webview build:
 * none when the text is not a list of such paths (a development build without the file).
 */
export function parseWebviewPreloads(json: string | undefined): string[] {
  if (json === undefined) return [];
  try {
    const list: unknown = JSON.parse(json);
    const chunk = (p: unknown): p is string =>
      typeof p === "string" && /^webview-chunks\/[\w.-]+\.js$/.test(p);
    return Array.isArray(list) && list.every(chunk) ? list : [];
  } catch {
    return [];
  }
}

/** Escapes text for an HTML attribute value in double quotes (URIs and nonces may carry & or "). */
function attr(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * 'unsafe-inline' styles: lit (via @vscode-elements) and chart.js set inline
 * styles. 'wasm-unsafe-eval' and blob: workers leave room for in-webview
 * inference; nothing here loads from outside the extension.
 */
export function inspectorCsp(cspSource: string, nonce: string): string {
  const c = cspSource;
  return [
    "default-src 'none'",
    `img-src ${c} data: blob:`,
    `style-src ${c} 'unsafe-inline'`,
    `font-src ${c}`,
    `script-src 'nonce-${nonce}' ${c} 'wasm-unsafe-eval'`,
    `connect-src ${c}`,
    `worker-src ${c} blob:`,
  ].join("; ");
}

export function renderInspectorHtml(opts: InspectorHtmlOptions): string {
  const nonce = attr(opts.nonce);
  const styles = opts.styleUris
    .map((uri) => `<link rel="stylesheet" nonce="${nonce}" href="${attr(uri)}">`)
    .join("\n");
  const preloads = (opts.preloadUris ?? [])
    .map((uri) => `\n<link rel="modulepreload" nonce="${nonce}" href="${attr(uri)}">`)
    .join("");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(inspectorCsp(opts.cspSource, opts.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<script nonce="${nonce}">${EARLY_MESSAGES_SCRIPT}</script>${preloads}
${styles}
<title>ConvLens Inspector</title>
</head>
<body>
<div id="app" class="app"><div class="status" role="status">Loading the inspector…</div></div>
<script nonce="${nonce}" type="module" src="${attr(opts.scriptUri)}"></script>
</body>
</html>
`;
}

/**
 * How a large host → webview message travels: as one Uint8Array of its JSON text. VS Code already
 * sends webview messages as JSON, but it walks every value of a plain object on each hop (a
 * stringify with a replacer in the extension host, a parse with a reviver in the workbench, two
 * structured clones into the webview's frames); a 10,000-layer analysis took ~3 s that way. Bytes
 * are carried as one binary buffer on every hop, and the webview parses them once. The message
 * read back is the one JSON would have delivered (the same text, parsed once instead of per hop).
 */
import type { HostToWebview } from "./messages";

/** The envelope of a packed message: only main.ts's listener sees it (it unpacks before dispatch). */
export interface PackedMessage {
  readonly type: "packed";
  /** UTF-8 JSON of one HostToWebview message, or of an analysis alone when `analysisOf` is set. */
  readonly json: Uint8Array;
  /** The file of the analysis `json` holds: the message is that file's analysis message. */
  readonly analysisOf?: string;
  /**
   * `json` is gzipped: a 10,000-layer analysis is 5.6 MB of JSON and 0.45 MB gzipped (level 1, ~30 ms in
   * the analysis worker), and every hop between the extension host and the webview copies it.
   */
  readonly gzip?: boolean;
}

/**
 * The function the inspector's HTML defines on `window` (an inline script, run as VS Code writes the
 * document): it returns the messages that came before webview.js ran and stops keeping them. VS Code
 * hands the messages posted while a page loads to it at the page's load event or 200 ms after the page
 * started, whichever comes first; webview.js runs once its chunks are fetched, often later than that,
 * and a listener of its own would miss them. So the host posts without waiting for the page's "ready".
 */
export const EARLY_MESSAGES = "__convlensEarlyMessages";

/** Message types worth packing: those carrying a whole analysis (others are small or hold typed arrays). */
const PACKED_TYPES: ReadonlySet<HostToWebview["type"]> = new Set(["analysis"]);

/** `m` as it should cross to the webview: packed when it carries an analysis, else as is. */
export function toWire(m: HostToWebview | PackedMessage): HostToWebview | PackedMessage {
  if (m.type === "packed" || !PACKED_TYPES.has(m.type)) return m;
  return { type: "packed", json: new TextEncoder().encode(JSON.stringify(m)) };
}

/**
 * The analysis message of `file` around `analysisJson` (the analysis as UTF-8 JSON, as the analysis
 * worker made it, gzipped when `gzip`): the message toWire would make, without stringifying it again.
 */
export function packedAnalysis(file: string, analysisJson: Uint8Array, gzip = false): PackedMessage {
  return { type: "packed", json: analysisJson, analysisOf: file, ...(gzip ? { gzip } : {}) };
}

export function isPacked(data: unknown): data is PackedMessage {
  if (typeof data !== "object" || data === null) return false;
  const p = data as { type?: unknown; json?: unknown };
  return p.type === "packed" && ArrayBuffer.isView(p.json);
}

function opened(p: PackedMessage, text: string): unknown {
  const value = JSON.parse(text) as unknown;
  return p.analysisOf === undefined ? value : { type: "analysis", file: p.analysisOf, analysis: value };
}

/** A received message with a packed envelope opened; anything else unchanged. Not for gzipped ones. */
export function fromWire(data: unknown): unknown {
  if (!isPacked(data)) return data;
  if (data.gzip === true) throw new Error("a gzipped message is opened with unpack()");
  return opened(data, new TextDecoder().decode(data.json));
}

/** fromWire for any message, gzipped ones included (the platform's DecompressionStream). */
export async function unpack(data: unknown): Promise<unknown> {
  if (!isPacked(data) || data.gzip !== true) return fromWire(data);
  const stream = new Blob([data.json as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
  return opened(data, await new Response(stream).text());
}

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
  /** UTF-8 JSON of one HostToWebview message. */
  readonly json: Uint8Array;
}

/** Message types worth packing: those carrying a whole analysis (others are small or hold typed arrays). */
const PACKED_TYPES: ReadonlySet<HostToWebview["type"]> = new Set(["analysis"]);

/** `m` as it should cross to the webview: packed when it carries an analysis, else as is. */
export function toWire(m: HostToWebview | PackedMessage): HostToWebview | PackedMessage {
  if (m.type === "packed" || !PACKED_TYPES.has(m.type)) return m;
  return { type: "packed", json: new TextEncoder().encode(JSON.stringify(m)) };
}

/**
 * The analysis message of `file`, packed around `analysisJson` (the analysis as UTF-8 JSON, as the
 * analysis worker made it): the same message toWire would make, without stringifying it again.
 */
export function packedAnalysis(file: string, analysisJson: Uint8Array): PackedMessage {
  const enc = new TextEncoder();
  const head = enc.encode(`{"type":"analysis","file":${JSON.stringify(file)},"analysis":`);
  const json = new Uint8Array(head.length + analysisJson.length + 1);
  json.set(head);
  json.set(analysisJson, head.length);
  json[json.length - 1] = "}".charCodeAt(0);
  return { type: "packed", json };
}

export function isPacked(data: unknown): data is PackedMessage {
  if (typeof data !== "object" || data === null) return false;
  const p = data as { type?: unknown; json?: unknown };
  return p.type === "packed" && ArrayBuffer.isView(p.json);
}

/** A received message with a packed envelope opened; anything else unchanged. */
export function fromWire(data: unknown): unknown {
  return isPacked(data) ? (JSON.parse(new TextDecoder().decode(data.json)) as unknown) : data;
}

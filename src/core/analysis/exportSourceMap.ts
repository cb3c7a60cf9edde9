/**
 * Export with PyTorch writes, beside the exported ONNX file, which line of the user's Python file
 * built each module. torch.onnx.export names nodes by module scope (`/features/features.0/Conv`,
 * read back as the row's module path and groups), so an inspector row of that ONNX leads to the
 * line of its module — or of the innermost enclosing module the file built (a functional op).
 */
import type { LayerRow } from "./result";
import type { TorchExport } from "./torchTrace";

const KIND = "convlens-pytorch-export-source";

export interface ExportSourceMap {
  readonly kind: typeof KIND;
  /** The Python file, relative to the ONNX file's folder (absolute when it cannot be relative). */
  readonly source: string;
  /** The model (class or instance) exported. */
  readonly model: string;
  /** Module path → 1-based line of `source` that built it; only modules the file built. */
  readonly lines: Readonly<Record<string, number>>;
}

/** The sidecar's path: `model.onnx` → `model.onnx.source.json`. */
export function exportSourceMapPath(onnxPath: string): string {
  return `${onnxPath}.source.json`;
}

export function exportSourceMap(
  model: string,
  source: string,
  modules: TorchExport["modules"],
): ExportSourceMap {
  const lines: Record<string, number> = {};
  // The root ("") is the model itself: every row would lead to it, which says nothing.
  for (const m of modules) if (m.path !== "" && m.line !== null) lines[m.path] = m.line;
  return { kind: KIND, source, model, lines };
}

/** The sidecar's JSON text read back; a string says why it is not one. */
export function parseExportSourceMap(text: string): ExportSourceMap | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${e instanceof Error ? e.message : String(e)}`;
  }
  const m = v as Partial<ExportSourceMap> | null;
  if (m === null || typeof m !== "object" || m.kind !== KIND) return "not a ConvLens export source map";
  if (typeof m.source !== "string" || typeof m.model !== "string") return "no source file named";
  const lines = m.lines;
  if (lines === null || typeof lines !== "object") return "no module lines";
  const ok = Object.values(lines).every((l) => Number.isInteger(l) && l > 0);
  return ok ? { kind: KIND, source: m.source, model: m.model, lines } : "a module line is not a line number";
}

/** The line that built a row's module, else its innermost enclosing module's; undefined if none. */
export function sourceLineOf(
  map: ExportSourceMap,
  layer: Pick<LayerRow, "name" | "groups">,
): number | undefined {
  for (const path of [layer.name, ...[...layer.groups].reverse()]) {
    const line = Object.hasOwn(map.lines, path) ? map.lines[path] : undefined;
    if (line !== undefined) return line;
  }
  return undefined;
}

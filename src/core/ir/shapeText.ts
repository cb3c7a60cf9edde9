import type { Dim } from "./types";

/**
 * "1x3x224x224" (or 1×3×224×224, 1,3,224,224) → [1, 3, 224, 224]; symbols kept ("Bx3x224x224");
 * undefined when malformed. The one parser of typed shapes: settings, comments, the CLI.
 */
export function parseShapeText(text: string): Dim[] | undefined {
  const dims = text.trim().split(/\s*[x×,]\s*/);
  if (dims.length === 0 || dims.some((d) => !/^(\d+|[A-Za-z_]\w*)$/.test(d))) return undefined;
  return dims.map((d) => (/^\d+$/.test(d) ? Number(d) : d));
}

/**
 * How the parameter total is worded wherever it is shown (CLI, CodeLens, inspector): "≥"
 * before it when part of the count is unknown, and notes naming that part and the
 * registered parameters forward never used, so that no total reads as exact when it is not.
 */
import type { ModelAnalysis, Totals } from "./result";

/** True when some parameters could not be counted: the total is a lower bound. */
export function paramsLowerBound(t: Totals): boolean {
  return (t.paramsUnknown?.length ?? 0) > 0;
}

/** "≥ 1.2 M" when part of the count is unknown, else the formatted count. */
export function paramsTotalText(t: Totals, format: (n: number) => string): string {
  return `${paramsLowerBound(t) ? "≥ " : ""}${format(t.params)}`;
}

/** Parameters of registered modules that forward never called (they are in the total). */
export function notCalledParams(a: ModelAnalysis): number {
  return (a.notCalled ?? []).reduce((s, u) => s + u.params, 0);
}

function listed(items: readonly string[], max = 4): string {
  return items.length <= max
    ? items.join(", ")
    : `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

/** One line per fact: the unknown part (why the total is a lower bound), then what forward never used. */
export function paramsNotes(a: ModelAnalysis, format: (n: number) => string): string[] {
  const notes: string[] = [];
  const unknown = a.totals.paramsUnknown ?? [];
  if (unknown.length)
    notes.push(
      `params not known for ${listed(unknown.map((u) => `${u.path} (${u.reason})`))}: the total is a lower bound`,
    );
  const unused = a.notCalled ?? [];
  if (unused.length)
    notes.push(
      `not called in forward: ${format(notCalledParams(a))} params in ${listed(unused.map((u) => u.path))} (in the total, as model.parameters() counts them)`,
    );
  return notes;
}

/**
 * onnxruntime's error texts → one line a model author can act on. Shared by both
 * engines (webview and extension host) and the CLI; no Node or DOM imports.
 * Unrecognised messages keep their first line, without onnxruntime's prefixes.
 */

interface Rule {
  readonly pattern: RegExp;
  readonly say: (m: RegExpExecArray) => string;
}

const RULES: readonly Rule[] = [
  {
    pattern: /Failed to get a WebGPU adapter: ([^\n]*)/,
    say: (m) => `no WebGPU adapter: ${(m[1] ?? "").trim()}`,
  },
  {
    pattern: /No Op registered for (\w+) with domain_version of (\d+)/,
    say: (m) => `op ${m[1]} (opset ${m[2]}) is not an operator onnxruntime implements`,
  },
  {
    pattern: /Could not find an implementation for (\w+)\((\d+)\)/,
    say: (m) => `op ${m[1]} (opset ${m[2]}) has no kernel in this backend`,
  },
  {
    pattern: /Invalid rank for input: (\S+) Got: (\d+) Expected: (\d+)/,
    say: (m) => `input "${m[1]}" has rank ${m[2]}, but the model expects rank ${m[3]}`,
  },
  {
    pattern:
      /Got invalid dimensions for input: (\S+) for the following indices\s+index: (\d+) Got: (\d+) Expected: (\d+)/,
    say: (m) => `input "${m[1]}": dimension ${m[2]} is ${m[3]}, but the model expects ${m[4]}`,
  },
  {
    pattern:
      /Unexpected input data type\. Actual: \((?:tensor\()?(\w+)\)?\) , expected: \((?:tensor\()?(\w+)\)?\)/,
    say: (m) => `an input is ${m[1]}, but the model expects ${m[2]}`,
  },
  {
    pattern: /input '([^']+)' is missing in 'feeds'/,
    say: (m) => `the model's input "${m[1]}" was not given`,
  },
];

/** One line for the user; `err` may be anything thrown by onnxruntime. */
export function runtimeErrorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  for (const r of RULES) {
    const m = r.pattern.exec(text);
    if (m !== null) return r.say(m);
  }
  const line = text.split("\n").find((l) => l.trim() !== "") ?? text;
  return line
    .replace(/^(Error: )+/, "")
    .replace(/^\[[^\]]*\] /, "")
    .slice(0, 300);
}

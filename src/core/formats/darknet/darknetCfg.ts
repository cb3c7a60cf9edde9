/**
 * The Darknet .cfg text: `[section]` headers with `key=value` options, how a Darknet cfg is
 * told from other .cfg files, and the activations ConvLens maps to ops.
 */
import { ModelError } from "../../ir/types";

/** The cfg is malformed (a missing option, a bad reference): the file cannot be read. */
export class CfgError extends ModelError {}
/** A section (or option) ConvLens cannot follow: kept in place, its output unknown with this reason. */
export class Unfollowed extends ModelError {}

export interface Section {
  readonly type: string;
  readonly line: number;
  readonly opts: Map<string, string>;
}

/** `[section]` headers and `key=value` lines; `#`/`;` comments. */
export function parseCfg(text: string): Section[] {
  const sections: Section[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/[#;].*$/, "").trim();
    if (!line) return;
    const head = /^\[(\w+)\]$/.exec(line);
    if (head) {
      sections.push({ type: head[1]?.toLowerCase() ?? "", line: i + 1, opts: new Map() });
      return;
    }
    const eq = line.indexOf("=");
    const cur = sections[sections.length - 1];
    if (eq < 0 || !cur) throw new ModelError(`line ${i + 1}: expected [section] or key=value, got "${line}"`);
    cur.opts.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  });
  return sections;
}

/** A section's number option; without it, `dflt` (or, where none is given, the cfg is malformed). */
export function cfgInt(s: Section, key: string, dflt?: number): number {
  const v = s.opts.get(key);
  if (v === undefined) {
    if (dflt === undefined) throw new CfgError(`[${s.type}] at line ${s.line} needs ${key}=`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CfgError(`[${s.type}] at line ${s.line}: ${key}=${v} is not a number`);
  return n;
}

/** Darknet cfgs start with [net] or [network] and use [convolutional]-style sections. */
export function looksLikeDarknet(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 4096));
  return (
    /^\s*(#[^\n]*\n\s*)*\[(net|network)\]/m.test(head) &&
    /\[(convolutional|connected|maxpool|route|shortcut|yolo|region|local|rnn|gru|lstm|crnn|conv_lstm|history)\]/.test(
      head + "[",
    )
  );
}

export const ACTIVATIONS: Readonly<Record<string, string | undefined>> = {
  leaky: "LeakyRelu",
  relu: "Relu",
  logistic: "Sigmoid",
  tanh: "Tanh",
  mish: "Mish",
  swish: "Silu",
  elu: "Elu",
  relu6: "Clip",
  selu: "Selu",
  gelu: "Gelu",
  linear: undefined,
};

/**
 * Python's `re` module for the patterns model code parses configuration strings with (timm's
 * `re.split(r'(\d.*)', 'k3')` in its EfficientNet block strings, its registry's
 * `re.compile(...).fullmatch(name)`). A pattern is run with JavaScript's RegExp only where both
 * engines agree: anything else (a construct they read differently, a flag other than IGNORECASE,
 * a non-ASCII or multi-line subject, an empty match in split/sub) is an unknown with its reason.
 */
import { builtin } from "./builtins";
import { NONE, int, str, tuple, unknown, type CallArgs, type PyValue } from "./values";

type Compiled = { readonly re: RegExp; readonly groups: number } | { readonly why: string };

// Python-only syntax, or syntax the two engines read differently (\Z, \A, (?P=name), inline flags,
// possessive quantifiers and atomic groups (Python 3.11), conditionals, \u in a bytes-like way).
const UNSUPPORTED = /\\[ZAGuUNx]|\(\?P=|\(\?[aiLmsux-]|\(\?#|\(\?>|\(\?\(|[*+?}]\+/;
const IGNORECASE = 2;

function compile(pattern: PyValue | undefined, flags: PyValue | undefined): Compiled {
  if (pattern?.t !== "str") return { why: "a regular expression that is not a known string" };
  const f = flags === undefined || flags.t === "none" ? 0 : flags.t === "int" ? flags.v : undefined;
  if (f === undefined || (f & ~IGNORECASE) !== 0) return { why: "re flags other than IGNORECASE" };
  if (UNSUPPORTED.test(pattern.v)) return { why: `the regular expression ${pattern.v} is not followed` };
  try {
    const source = pattern.v.replace(/\(\?P</g, "(?<");
    const re = new RegExp(source, (f & IGNORECASE ? "i" : "") + "g");
    const groups = (new RegExp(`${source}|`).exec("")?.length ?? 1) - 1;
    return { re, groups };
  } catch {
    return { why: `the regular expression ${pattern.v} is not followed` };
  }
}

/** Subjects both engines see alike: ASCII (\d, \w differ on Unicode) without newlines ($ differs). */
function subject(v: PyValue | undefined): string | undefined {
  return v?.t === "str" && /^[\x20-\x7e\t]*$/.test(v.v) ? v.v : undefined;
}

const group = (m: RegExpExecArray, i: number): PyValue => {
  const g = m[i];
  return g === undefined ? NONE : str(g);
};

function matchObject(m: RegExpExecArray, groups: number): PyValue {
  const byRef = (v: PyValue | undefined): PyValue => {
    if (v === undefined) return group(m, 0);
    if (v.t === "int" && v.v >= 0 && v.v <= groups) return group(m, v.v);
    if (v.t === "str" && m.groups && v.v in m.groups)
      return m.groups[v.v] === undefined ? NONE : str(m.groups[v.v] as string);
    return unknown("Match.group of a group the pattern does not have");
  };
  const all = (): PyValue[] => Array.from({ length: groups }, (_, i) => group(m, i + 1));
  return builtin(
    "re.Match",
    () => unknown("a Match is not callable"),
    (n) => {
      switch (n) {
        case "group":
          return builtin(n, (a) => (a.args.length > 1 ? tuple(a.args.map(byRef)) : byRef(a.args[0])));
        case "groups":
          return builtin(n, () => tuple(all()));
        case "start":
          return builtin(n, (a) => (a.args.length ? unknown("Match.start of a group") : int(m.index)));
        case "end":
          return builtin(n, (a) =>
            a.args.length ? unknown("Match.end of a group") : int(m.index + m[0].length),
          );
        default:
          return undefined;
      }
    },
  );
}

/** Every match left to right, or why not (an empty match: the engines step past it differently). */
function allMatches(c: { re: RegExp }, s: string): RegExpExecArray[] | string {
  const out: RegExpExecArray[] = [];
  c.re.lastIndex = 0;
  for (let m = c.re.exec(s); m; m = c.re.exec(s)) {
    if (m[0] === "") return "a regular expression that matches an empty string";
    out.push(m);
  }
  return out;
}

type Op = "match" | "fullmatch" | "search" | "split" | "sub" | "findall";
const OPS: readonly Op[] = ["match", "fullmatch", "search", "split", "sub", "findall"];

/** One operation on a compiled pattern; `args` are the call's arguments after the pattern. */
function run(op: Op, c: Compiled, args: readonly PyValue[], kw: ReadonlyMap<string, PyValue>): PyValue {
  if ("why" in c) return unknown(c.why);
  const textArg = op === "sub" ? (args[1] ?? kw.get("string")) : (args[0] ?? kw.get("string"));
  const s = subject(textArg);
  if (s === undefined) return unknown(`re.${op} of a string that is not known (or not plain ASCII)`);
  if (op === "match" || op === "fullmatch" || op === "search") {
    const source = op === "search" ? c.re.source : `^(?:${c.re.source})${op === "fullmatch" ? "$" : ""}`;
    const m = new RegExp(source, c.re.flags.replace("g", "")).exec(s);
    return m ? matchObject(m, c.groups) : NONE;
  }
  const limit =
    op === "findall"
      ? undefined
      : op === "sub"
        ? (args[2] ?? kw.get("count"))
        : (args[1] ?? kw.get("maxsplit"));
  if (limit !== undefined && (limit.t !== "int" || limit.v !== 0)) return unknown(`re.${op} with a count`);
  const ms = allMatches(c, s);
  if (typeof ms === "string") return unknown(ms);
  if (op === "findall")
    return {
      t: "list",
      items: ms.map((m) =>
        c.groups === 0
          ? str(m[0])
          : c.groups === 1
            ? str(m[1] ?? "")
            : tuple(m.slice(1).map((g) => str(g ?? ""))),
      ),
    };
  const pieces: PyValue[] = [];
  let at = 0;
  if (op === "split") {
    for (const m of ms) {
      pieces.push(str(s.slice(at, m.index)));
      for (let i = 1; i <= c.groups; i++) pieces.push(group(m, i));
      at = m.index + m[0].length;
    }
    pieces.push(str(s.slice(at)));
    return { t: "list", items: pieces };
  }
  const repl = args[0] ?? kw.get("repl");
  // A template: text and \1..\9 only (\g<name>, escapes and callables are not followed).
  if (repl?.t !== "str" || /\\(?![1-9])/.test(repl.v)) return unknown("re.sub with this replacement");
  if (repl.v.match(/\\[1-9]/g)?.some((r) => Number(r.slice(1)) > c.groups))
    return unknown("re.sub with a reference to a group the pattern does not have");
  let out = "";
  for (const m of ms) {
    out += s.slice(at, m.index) + repl.v.replace(/\\([1-9])/g, (_x, d: string) => m[Number(d)] ?? "");
    at = m.index + m[0].length;
  }
  return str(out + s.slice(at));
}

function compiledPattern(c: Compiled, pattern: PyValue | undefined): PyValue {
  return builtin(
    "re.Pattern",
    () => unknown("a compiled pattern is not callable"),
    (n) =>
      (OPS as readonly string[]).includes(n)
        ? builtin(n, (a: CallArgs) => run(n as Op, c, a.args, a.kwargs))
        : n === "pattern"
          ? (pattern ?? NONE)
          : undefined,
  );
}

export function reModule(): PyValue {
  return builtin(
    "re",
    () => unknown("re is a module"),
    (n) => {
      if (n === "IGNORECASE" || n === "I") return int(IGNORECASE);
      if (n === "compile")
        return builtin(n, (a) =>
          compiledPattern(compile(a.args[0], a.args[1] ?? a.kwargs.get("flags")), a.args[0]),
        );
      if (!(OPS as readonly string[]).includes(n)) return undefined;
      const op = n as Op;
      return builtin(n, (a) => {
        // re.split(pattern, string, maxsplit=0, flags=0), re.sub(pattern, repl, string, count=0, flags=0).
        const flagsAt = op === "sub" || op === "split" ? (op === "sub" ? 4 : 3) : 2;
        return run(
          op,
          compile(a.args[0], a.args[flagsAt] ?? a.kwargs.get("flags")),
          a.args.slice(1),
          a.kwargs,
        );
      });
    },
  );
}

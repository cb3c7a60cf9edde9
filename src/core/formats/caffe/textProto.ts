/**
 * A schema-less reader for protobuf text format (what Caffe's .prototxt files
 * are): `name: value`, `name { … }`, `name: [a, b]`, strings, numbers, enum
 * identifiers, comments. Every field may repeat, so values are lists.
 */
import { ModelError } from "../../ir/types";

export type TextValue = string | number | boolean | TextMessage;

export class TextMessage {
  readonly fields = new Map<string, TextValue[]>();
  /** The 1-based line the message (or file) starts on, for messages about it. */
  constructor(readonly line: number) {}

  all(name: string): TextValue[] {
    return this.fields.get(name) ?? [];
  }
  first(name: string): TextValue | undefined {
    return this.fields.get(name)?.[0];
  }
  str(name: string): string | undefined {
    const v = this.first(name);
    return typeof v === "string" ? v : v === undefined ? undefined : String(v);
  }
  num(name: string): number | undefined {
    const v = this.first(name);
    return typeof v === "number"
      ? v
      : typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))
        ? Number(v)
        : undefined;
  }
  nums(name: string): number[] {
    return this.all(name).map((v) => (typeof v === "number" ? v : Number(v)));
  }
  msg(name: string): TextMessage | undefined {
    const v = this.first(name);
    return v instanceof TextMessage ? v : undefined;
  }
  msgs(name: string): TextMessage[] {
    return this.all(name).filter((v): v is TextMessage => v instanceof TextMessage);
  }
  add(name: string, v: TextValue): void {
    const list = this.fields.get(name) ?? [];
    list.push(v);
    this.fields.set(name, list);
  }
}

interface Token {
  readonly kind: "ident" | "number" | "string" | "punct";
  readonly text: string;
  readonly line: number;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const ch = src[i] ?? "";
    if (ch === "\n") {
      line++;
      i++;
    } else if (/\s/.test(ch)) i++;
    else if (ch === "#") while (i < src.length && src[i] !== "\n") i++;
    else if (ch === '"' || ch === "'") {
      let j = i + 1;
      let text = "";
      while (j < src.length && src[j] !== ch) {
        if (src[j] === "\\" && j + 1 < src.length) {
          const e = src[j + 1] ?? "";
          text += e === "n" ? "\n" : e === "t" ? "\t" : e;
          j += 2;
        } else {
          if (src[j] === "\n") throw new ModelError(`line ${line}: unterminated string`);
          text += src[j];
          j++;
        }
      }
      if (j >= src.length) throw new ModelError(`line ${line}: unterminated string`);
      out.push({ kind: "string", text, line });
      i = j + 1;
    } else if ("{}:[],;<>".includes(ch)) {
      out.push({ kind: "punct", text: ch, line });
      i++;
    } else {
      const m =
        /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|nan)[fF]?|^[A-Za-z_][\w.]*/.exec(
          src.slice(i, i + 200),
        );
      if (!m) throw new ModelError(`line ${line}: unexpected character "${ch}"`);
      const text = m[0];
      out.push({
        kind: /^[A-Za-z_]/.test(text) && !/^(inf|nan)$/.test(text) ? "ident" : "number",
        text,
        line,
      });
      i += text.length;
    }
  }
  return out;
}

export function parseTextProto(src: string): TextMessage {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const expect = (text: string) => {
    const t = toks[p];
    if (t?.text !== text)
      throw new ModelError(
        `line ${t?.line ?? toks[toks.length - 1]?.line ?? 1}: expected "${text}" but found ${t ? `"${t.text}"` : "the end of the file"}`,
      );
    p++;
  };
  const scalar = (): TextValue => {
    const t = toks[p++];
    if (!t) throw new ModelError("unexpected end of the file");
    if (t.kind === "string") {
      let s = t.text;
      // Adjacent strings concatenate, as in C.
      while (peek()?.kind === "string") s += toks[p++]?.text ?? "";
      return s;
    }
    if (t.kind === "number") return Number(t.text.replace(/[fF]$/, ""));
    if (t.kind === "ident") return t.text === "true" ? true : t.text === "false" ? false : t.text;
    throw new ModelError(`line ${t.line}: unexpected "${t.text}"`);
  };
  const message = (line: number, close?: string): TextMessage => {
    const m = new TextMessage(line);
    for (;;) {
      const t = peek();
      if (!t) {
        if (close) throw new ModelError(`line ${line}: the block opened here is never closed`);
        return m;
      }
      if (close && t.text === close) {
        p++;
        return m;
      }
      if (t.kind !== "ident")
        throw new ModelError(`line ${t.line}: expected a field name but found "${t.text}"`);
      p++;
      const name = t.text;
      if (peek()?.text === ":") p++;
      const n = peek();
      if (n?.text === "{" || n?.text === "<") {
        p++;
        m.add(name, message(n.line, n.text === "{" ? "}" : ">"));
      } else if (n?.text === "[") {
        p++;
        while (peek()?.text !== "]") {
          m.add(name, peek()?.text === "{" ? (p++, message(n.line, "}")) : scalar());
          if (peek()?.text === ",") p++;
          else if (peek()?.text !== "]") expect("]");
        }
        p++;
      } else m.add(name, scalar());
      if (peek()?.text === "," || peek()?.text === ";") p++;
    }
  };
  return message(1);
}

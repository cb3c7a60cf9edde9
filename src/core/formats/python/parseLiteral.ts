/**
 * Decoding of Python literal tokens (numbers and plain strings) from their
 * source text. Kept apart from the tree walk because it is pure text work and
 * easy to test on its own.
 */

/** The value of a Python number literal; `isFloat` for `.`, exponent or `j`. */
export function decodeNumber(text: string): { value: number; isFloat: boolean } {
  const t = text.replace(/_/g, "");
  // Hex/octal/binary first: `0xE` contains an "e" but is an int.
  if (/^0[xob]/i.test(t)) {
    const v = Number(t.toLowerCase());
    return { value: Number.isNaN(v) ? 0 : v, isFloat: false };
  }
  const imaginary = /[jJ]$/.test(t);
  const body = imaginary ? t.slice(0, -1) : t;
  // Python 2 long suffix (`10L`) still shows up in old model code.
  const clean = body.replace(/[lL]$/, "");
  const v = Number(clean);
  return { value: Number.isNaN(v) ? 0 : v, isFloat: imaginary || /[.eE]/.test(clean) };
}

const QUOTES = ['"""', "'''", '"', "'"] as const;

/**
 * The value of one string token (`rb'…'`, `"""…"""`, `u"…"`): prefix and quotes
 * stripped, escapes decoded unless raw. An unterminated string (half-typed
 * line) yields whatever follows the opening quote.
 */
export function decodeString(text: string): string {
  const prefix = /^[A-Za-z]*/.exec(text)?.[0] ?? "";
  const rest = text.slice(prefix.length);
  const quote = QUOTES.find((q) => rest.startsWith(q)) ?? "";
  let body = rest.slice(quote.length);
  if (quote !== "" && body.endsWith(quote)) body = body.slice(0, body.length - quote.length);
  if (/r/i.test(prefix) || !body.includes("\\")) return body;
  return decodeEscapes(body);
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v",
  "\n": "",
  "\r\n": "",
};

function decodeEscapes(body: string): string {
  return body.replace(
    /\\(\r\n|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])/g,
    (whole, esc: string) => {
      const simple = SIMPLE_ESCAPES[esc];
      if (simple !== undefined) return simple;
      const c = esc.charAt(0);
      const code =
        c === "x" || c === "u" || c === "U"
          ? parseInt(esc.slice(1), 16)
          : c >= "0" && c <= "7"
            ? parseInt(esc, 8)
            : -1;
      // fromCodePoint throws past U+10FFFF; never throw on odd input.
      if (code >= 0 && code <= 0x10ffff) return String.fromCodePoint(code);
      // Python keeps unknown escapes (and \N{…}) verbatim.
      return whole;
    },
  );
}

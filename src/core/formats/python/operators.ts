/** Python operators on concrete values (numbers, strings, sequences); tensors are handled by the host. */
import { PyRaises } from "./interpErrors";
import { bool, describe, num, str, truthy, tuple, unknown, type PyValue } from "./values";

/**
 * `if t:` on a tensor: bool() of a tensor PyTorch refuses unless it holds exactly one value (whose
 * value then decides, which we do not know: undefined, the condition stays undecided).
 */
export function tensorTruthError(v: PyValue): PyRaises | undefined {
  if (v.t !== "tensor") return undefined;
  const shape = v.state.shape;
  if (!shape?.every((d) => typeof d === "number")) return undefined;
  const n = shape.reduce((a, d) => a * d, 1);
  if (n === 1) return undefined;
  const what = n === 0 ? "no values" : "more than one value";
  return new PyRaises(
    `RuntimeError: Boolean value of Tensor with ${what} is ambiguous (a [${shape.join(", ")}] tensor)`,
  );
}

function numeric(op: string, a: number, b: number, bothInt: boolean): PyValue {
  const mk = (v: number, forceFloat = false): PyValue =>
    bothInt && !forceFloat && Number.isInteger(v) ? { t: "int", v } : { t: "float", v };
  switch (op) {
    case "+":
      return mk(a + b);
    case "-":
      return mk(a - b);
    case "*":
      return mk(a * b);
    case "/":
      return b === 0 ? unknown("division by zero") : mk(a / b, true);
    case "//":
      return b === 0 ? unknown("division by zero") : mk(Math.floor(a / b));
    case "%":
      return b === 0 ? unknown("modulo by zero") : mk(((a % b) + b) % b);
    case "**":
      return mk(a ** b, b < 0);
    case "<<":
      return mk(a * 2 ** b);
    case ">>":
      return mk(Math.floor(a / 2 ** b));
    case "&":
      return mk(a & b);
    case "|":
      return mk(a | b);
    case "^":
      return mk(a ^ b);
    default:
      return unknown(`operator ${op}`);
  }
}

export function binaryOp(op: string, a: PyValue, b: PyValue): PyValue {
  if (a.t === "unknown") return a;
  if (b.t === "unknown") return b;
  const x = num(a),
    y = num(b);
  if (x !== undefined && y !== undefined) return numeric(op, x, y, a.t !== "float" && b.t !== "float");
  if (a.t === "sym" || b.t === "sym") {
    // Symbolic dims stay symbolic through simple arithmetic (B * 2, B // 2).
    const l = a.t === "sym" ? a.v : describe(a);
    const r = b.t === "sym" ? b.v : describe(b);
    if (x === 1 && op === "*") return b;
    if (y === 1 && (op === "*" || op === "//")) return a;
    return { t: "sym", v: `${l}${op}${r}` };
  }
  if (op === "+" && a.t === "str" && b.t === "str") return str(a.v + b.v);
  if (op === "+" && (a.t === "list" || a.t === "tuple") && b.t === a.t)
    return a.t === "list" ? { t: "list", items: [...a.items, ...b.items] } : tuple([...a.items, ...b.items]);
  if (op === "*" && (a.t === "list" || a.t === "tuple") && y !== undefined) {
    const items = Array.from({ length: Math.max(0, y) }, () => a.items).flat();
    return a.t === "list" ? { t: "list", items } : tuple(items);
  }
  if (op === "%" && a.t === "str") return percentFormat(a.v, b);
  return unknown(`${describe(a)} ${op} ${describe(b)}`);
}

export function equal(a: PyValue, b: PyValue): boolean | undefined {
  if (a.t === "unknown" || b.t === "unknown") return undefined;
  const x = num(a),
    y = num(b);
  if (x !== undefined && y !== undefined) return x === y;
  if (a.t === "str" && b.t === "str") return a.v === b.v;
  if (a.t === "none" || b.t === "none") return a.t === b.t;
  if ((a.t === "tuple" || a.t === "list") && (b.t === "tuple" || b.t === "list")) {
    if (a.items.length !== b.items.length) return false;
    for (let i = 0; i < a.items.length; i++) {
      const r = equal(a.items[i] as PyValue, b.items[i] as PyValue);
      if (r !== true) return r;
    }
    return true;
  }
  if (a.t === "sym" && b.t === "sym") return a.v === b.v ? true : undefined;
  if (a.t === "sym" || b.t === "sym") return undefined;
  return a === b;
}

/** `a in items`: undecidable when no item is equal and some cannot be compared (an unknown item). */
function memberOf(a: PyValue, items: readonly PyValue[]): boolean | undefined {
  const r = items.map((x) => equal(a, x));
  return r.includes(true) ? true : r.includes(undefined) ? undefined : false;
}

/**
 * `a is b`: identity. CPython has one None / True / False and caches the ints −5…256, so those compare
 * by value (`if i is 0:` in SRGAN's discriminator is true for 0); equal ints outside the cache are
 * undecidable (the same object or not, by how they were made), and so are equal strings, floats, tuples.
 */
function identical(a: PyValue, b: PyValue): boolean | undefined {
  if (a === b) return true;
  if (a.t === "none" || b.t === "none") return equal(a, b);
  if (a.t === "bool" && b.t === "bool") return a.v === b.v;
  if (a.t === "int" && b.t === "int") return a.v !== b.v ? false : a.v >= -5 && a.v <= 256 ? true : undefined;
  // Unequal values are never one object; equal strings, floats or tuples may be (interning): undecidable.
  return equal(a, b) === false ? false : undefined;
}

export function compareOp(op: string, a: PyValue, b: PyValue): PyValue {
  // An unknown operand keeps its own reason (the root cause), whatever the operator.
  if (a.t === "unknown") return a;
  if (b.t === "unknown") return b;
  switch (op) {
    case "is":
    case "==": {
      const r = op === "is" ? identical(a, b) : equal(a, b);
      return r === undefined ? unknown("undecidable comparison") : bool(r);
    }
    case "is not":
    case "!=": {
      const r = op === "is not" ? identical(a, b) : equal(a, b);
      return r === undefined ? unknown("undecidable comparison") : bool(!r);
    }
    case "in":
    case "not in": {
      let found: boolean | undefined;
      if (b.t === "list" || b.t === "tuple") found = memberOf(a, b.items);
      else if (b.t === "dict")
        found = memberOf(
          a,
          [...b.entries.values()].map((e) => e.key),
        );
      else if (b.t === "str" && a.t === "str") found = b.v.includes(a.v);
      else if (b.t === "builtin" && b.name === "dir()" && a.t === "str")
        found = b.attrs?.(a.v) !== undefined ? true : undefined;
      if (found === undefined) return unknown("undecidable membership");
      return bool(op === "in" ? found : !found);
    }
    default: {
      const x = num(a),
        y = num(b);
      if (x === undefined || y === undefined) return unknown("undecidable comparison");
      const r =
        op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : op === ">=" ? x >= y : undefined;
      return r === undefined ? unknown(`operator ${op}`) : bool(r);
    }
  }
}

export function unaryOp(op: string, v: PyValue, negateTensor: (v: PyValue) => PyValue | undefined): PyValue {
  if (op === "not") {
    if (v.t === "unknown") return v;
    // An empty Sequential / ModuleList / ModuleDict is falsy (they have a length); other modules are truthy.
    if (
      v.t === "object" &&
      v.children &&
      v.opaque === undefined &&
      ["Sequential", "ModuleList", "ModuleDict"].includes(v.cls.nn ?? "")
    )
      return bool(v.children.size === 0);
    const t = truthy(v);
    return t === undefined ? unknown(`undecidable not ${describe(v)}`) : bool(!t);
  }
  const x = num(v);
  if (x !== undefined) {
    if (op === "-") return v.t === "float" ? { t: "float", v: -x } : { t: "int", v: -x };
    if (op === "+") return v;
    if (op === "~") return { t: "int", v: ~x };
  }
  // A tensor, or an object the host may know as one (a Keras tensor).
  if ((v.t === "tensor" || v.t === "object") && op === "-") {
    const n = negateTensor(v);
    if (n || v.t === "tensor") return n ?? unknown("tensor negation");
  }
  if (v.t === "sym" && op === "-") return { t: "sym", v: `-${v.v}` };
  return unknown(`unary ${op} on ${describe(v)}`);
}

/** "denselayer%d" % (i + 1): printf-style formatting of numbers and strings. */
function percentFormat(fmt: string, arg: PyValue): PyValue {
  const args = arg.t === "tuple" ? [...arg.items] : [arg];
  let k = 0;
  let failed = false;
  const out = fmt.replace(
    /%([-+ 0#]*\d*)(?:\.(\d+))?([disrfgxe%])/g,
    (_m, _flags: string, prec: string | undefined, conv: string) => {
      if (conv === "%") return "%";
      const v = args[k++];
      if (!v || v.t === "unknown") {
        failed = true;
        return "";
      }
      const n = num(v);
      if (conv === "d" || conv === "i")
        return n === undefined ? ((failed = true), "") : String(Math.trunc(n));
      if (conv === "f")
        return n === undefined ? ((failed = true), "") : n.toFixed(prec === undefined ? 6 : Number(prec));
      if (conv === "x") return n === undefined ? ((failed = true), "") : Math.trunc(n).toString(16);
      return v.t === "str" ? v.v : describe(v);
    },
  );
  return failed ? unknown("string formatting of an unknown value") : str(out);
}

/**
 * The pickle reader behind PyTorch checkpoints: a small stack machine (opcodes, stack, marks,
 * memo, globals) that knows the few callables torch uses to describe tensors
 * (`_rebuild_tensor_v2`, `_rebuild_parameter`, `OrderedDict`); every other class is kept as an
 * inert record and nothing is ever imported or called. Storages come in through the caller's
 * persistent-id hook, so this module knows nothing of the zip archive around data.pkl.
 */
import { ModelError } from "../../ir/types";

// ---- pickle values

export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of a class the reader does not know (its constructor arguments and state, never run). */
export class PyObject {
  state: PyValue = null;
  constructor(
    readonly cls: string,
    readonly args: readonly PyValue[],
  ) {}
}

export class PyStorage {
  constructor(
    readonly type: string,
    readonly key: string,
  ) {}
}

export class PyTensor {
  constructor(
    readonly storage: PyStorage,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | Map<PyValue, PyValue>
  | PyGlobal
  | PyObject
  | PyStorage
  | PyTensor;

// ---- the unpickler

/** Every checkpoint failure, with one prefix so the user knows which reader is talking. */
export function bad(message: string): never {
  throw new ModelError(`PyTorch checkpoint: ${message}`);
}

function toInt(v: PyValue, what: string): number {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "bigint" && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER))
    return Number(v);
  return bad(`${what} is not an integer.`);
}

function toInts(v: PyValue, what: string): number[] {
  if (!Array.isArray(v)) return bad(`${what} is not a tuple.`);
  return v.map((x) => toInt(x, what));
}

/** What REDUCE does with the callables torch pickles; everything else becomes an inert PyObject. */
function reduce(fn: PyValue, args: PyValue[]): PyValue {
  const name = fn instanceof PyGlobal ? fn.qualified : fn instanceof PyObject ? fn.cls : "?";
  switch (name) {
    case "collections.OrderedDict":
    case "builtins.dict": {
      const map = new Map<PyValue, PyValue>();
      const items = args[0];
      if (Array.isArray(items))
        for (const pair of items) if (Array.isArray(pair)) map.set(pair[0] ?? null, pair[1] ?? null);
      return map;
    }
    case "torch._utils._rebuild_tensor":
    case "torch._utils._rebuild_tensor_v2": {
      const [storage, offset, size, stride] = args;
      if (!(storage instanceof PyStorage)) return bad("a tensor without a storage.");
      const shape = toInts(size ?? null, "a tensor's size");
      const strides = toInts(stride ?? null, "a tensor's stride");
      if (strides.length !== shape.length) bad("a tensor's size and stride differ in length.");
      return new PyTensor(storage, toInt(offset ?? null, "a storage offset"), shape, strides);
    }
    case "torch._tensor._rebuild_from_type_v2": {
      // A Tensor subclass: (rebuild function, subclass, its arguments, state); the subclass is ignored.
      const [rebuild, , inner] = args;
      return reduce(rebuild ?? null, Array.isArray(inner) ? inner : []);
    }
    case "torch._utils._rebuild_parameter":
    case "torch._utils._rebuild_parameter_with_state":
      return args[0] ?? null;
    case "torch.serialization._get_layout":
      return args[0] ?? null;
    case "builtins.set":
    case "builtins.frozenset":
      return Array.isArray(args[0]) ? [...args[0]] : [];
    default:
      return new PyObject(name, args);
  }
}

const decoder = new TextDecoder();

/** Unpickle `bytes`; `persistent` turns a BINPERSID tuple into a value. Executes nothing. */
export function unpickle(bytes: Uint8Array, persistent: (pid: PyValue) => PyValue): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  let p = 0;
  const need = (n: number): number => {
    if (p + n > bytes.byteLength) bad("data.pkl ends early.");
    const at = p;
    p += n;
    return at;
  };
  const pop = (): PyValue => {
    if (stack.length === 0) bad("pickle stack underflow.");
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0) bad("pickle stack underflow.");
    return stack[stack.length - 1] as PyValue;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = marks.pop();
    if (!prev) return bad("pickle MARK missing.");
    stack = prev;
    return items;
  };
  const text = (n: number): string => decoder.decode(bytes.subarray(need(n), p));
  const line = (): string => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) bad("data.pkl ends early.");
    const s = decoder.decode(bytes.subarray(p, end));
    p = end + 1;
    return s;
  };
  const long = (n: number): number | bigint => {
    const at = need(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i] ?? 0);
    if (n > 0 && (bytes[at + n - 1] ?? 0) & 0x80) v -= 1n << BigInt(8 * n);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (target: PyValue, items: PyValue[]): void => {
    if (!(target instanceof Map)) return; // attributes of an inert object: dropped
    for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i] ?? null, items[i + 1] ?? null);
  };
  const appendItems = (target: PyValue, items: PyValue[]): void => {
    if (Array.isArray(target)) for (const item of items) target.push(item);
  };

  for (;;) {
    const op = bytes[need(1)];
    switch (op) {
      case 0x80: // PROTO
        need(1);
        break;
      case 0x95: // FRAME
        need(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        marks.push(stack);
        stack = [];
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
      case 0x29: // EMPTY_TUPLE
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x74: // TUPLE
      case 0x6c: // LIST
      case 0x91: {
        // FROZENSET
        const items = popMark(); // before touching `stack`: popMark replaces it
        stack.push(items);
        break;
      }
      case 0x64: {
        // DICT
        const map = new Map<PyValue, PyValue>();
        setItems(map, popMark()); // before touching `stack`: popMark replaces it
        stack.push(map);
        break;
      }
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(need(4), true));
        break;
      case 0x4b: // BININT1
        stack.push(view.getUint8(need(1)));
        break;
      case 0x4d: // BININT2
        stack.push(view.getUint16(need(2), true));
        break;
      case 0x8a: // LONG1
        stack.push(long(view.getUint8(need(1))));
        break;
      case 0x8b: // LONG4
        stack.push(long(view.getInt32(need(4), true)));
        break;
      case 0x47: // BINFLOAT (big-endian)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(view.getUint32(need(4), true)));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(view.getUint8(need(1))));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(Number(view.getBigUint64(need(8), true))));
        break;
      case 0x54: // BINSTRING
        stack.push(text(view.getInt32(need(4), true)));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(text(view.getUint8(need(1))));
        break;
      case 0x42: {
        // BINBYTES
        const n = view.getUint32(need(4), true);
        stack.push(bytes.slice(need(n), p));
        break;
      }
      case 0x43: {
        // SHORT_BINBYTES
        const n = view.getUint8(need(1));
        stack.push(bytes.slice(need(n), p));
        break;
      }
      case 0x71: // BINPUT
        memo.set(view.getUint8(need(1)), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(view.getUint32(need(4), true), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x68 ? view.getUint8(need(1)) : view.getUint32(need(4), true);
        if (!memo.has(i)) bad(`pickle memo ${i} is missing.`);
        stack.push(memo.get(i) ?? null);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(new PyGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        stack.push(new PyGlobal(String(module), String(name)));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistent(pop()));
        break;
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(reduce(pop(), Array.isArray(args) ? args : []));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args), recorded only
        const args = pop();
        const cls = pop();
        stack.push(
          new PyObject(cls instanceof PyGlobal ? cls.qualified : "?", Array.isArray(args) ? args : []),
        );
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop();
        const args = pop();
        const cls = pop();
        stack.push(
          new PyObject(cls instanceof PyGlobal ? cls.qualified : "?", Array.isArray(args) ? args : []),
        );
        break;
      }
      case 0x62: {
        // BUILD: __setstate__ recorded on inert objects; OrderedDict's _metadata is dropped
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        appendItems(top(), [value]);
        break;
      }
      case 0x65: // APPENDS
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      default:
        return bad(`unsupported pickle opcode 0x${(op ?? 0).toString(16)} at byte ${p - 1} of data.pkl.`);
    }
  }
}

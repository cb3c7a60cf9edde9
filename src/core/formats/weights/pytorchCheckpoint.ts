/**
 * PyTorch `.pth` / `.pt` state_dicts as written by `torch.save` (PyTorch ≥ 1.6): a zip archive
 * with `<archive>/data.pkl` (a protocol-2 pickle), one `<archive>/data/<key>` file per storage
 * and `<archive>/version`. The pickle is read by a small stack machine that knows the few
 * callables torch uses to describe tensors (`_rebuild_tensor_v2`, `_rebuild_parameter`,
 * `OrderedDict`, the storage classes); every other class is kept as an inert record and
 * nothing is ever imported or called. Tensors are gathered from storage + offset + size +
 * stride into contiguous little-endian data; floating-point ones become float32.
 */
import { ModelError } from "../../ir/types";
import type { StoredTensor } from "./safetensors";
import { isZip, readZipDirectory, readZipEntry, type ZipEntry } from "./zip";

// ---- pickle values

class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of a class the reader does not know (its constructor arguments and state, never run). */
class PyObject {
  state: PyValue = null;
  constructor(
    readonly cls: string,
    readonly args: readonly PyValue[],
  ) {}
}

class PyStorage {
  constructor(
    readonly type: string,
    readonly key: string,
  ) {}
}

class PyTensor {
  constructor(
    readonly storage: PyStorage,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

type PyValue =
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

function bad(message: string): never {
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
function unpickle(bytes: Uint8Array, persistent: (pid: PyValue) => PyValue): PyValue {
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

// ---- storages and tensors

interface ElementType {
  readonly dtype: string; // safetensors' name for what is stored
  readonly size: number;
  readonly float: boolean;
}

const STORAGES: Record<string, ElementType> = {
  FloatStorage: { dtype: "F32", size: 4, float: true },
  HalfStorage: { dtype: "F16", size: 2, float: true },
  BFloat16Storage: { dtype: "BF16", size: 2, float: true },
  DoubleStorage: { dtype: "F64", size: 8, float: true },
  LongStorage: { dtype: "I64", size: 8, float: false },
  IntStorage: { dtype: "I32", size: 4, float: false },
  ShortStorage: { dtype: "I16", size: 2, float: false },
  CharStorage: { dtype: "I8", size: 1, float: false },
  ByteStorage: { dtype: "U8", size: 1, float: false },
  BoolStorage: { dtype: "BOOL", size: 1, float: false },
};

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function bf16ToFloat(h: number): number {
  u32[0] = h << 16;
  return f32[0] ?? 0;
}

/** Contiguous little-endian data of one tensor; floating-point types as float32. */
function materialize(
  name: string,
  t: PyTensor,
  storageBytes: Uint8Array,
  littleEndian: boolean,
): StoredTensor {
  const type = STORAGES[t.storage.type];
  if (!type) return bad(`"${name}" is stored as torch.${t.storage.type}, which ConvLens cannot read.`);
  const count = t.shape.reduce((a, b) => a * b, 1);
  const available = Math.floor(storageBytes.byteLength / type.size);
  if (count > 0) {
    let low = t.offset;
    let high = t.offset;
    t.shape.forEach((d, i) => {
      const reach = (d - 1) * (t.stride[i] ?? 0);
      if (reach < 0) low += reach;
      else high += reach;
    });
    if (low < 0 || high >= available)
      bad(`"${name}" reaches past its storage (${available} elements in data/${t.storage.key}).`);
  }
  let contiguous = true;
  for (let d = t.shape.length - 1, expect = 1; d >= 0; d--) {
    if ((t.shape[d] ?? 1) !== 1 && t.stride[d] !== expect) contiguous = false;
    expect *= t.shape[d] ?? 1;
  }
  const shape = [...t.shape];
  if (contiguous && littleEndian && type.dtype === "F32")
    return { dtype: "F32", shape, bytes: storageBytes.subarray(t.offset * 4, (t.offset + count) * 4) };
  // Storage element index of each output element, in row-major order.
  const rank = t.shape.length;
  const index = new Array<number>(rank).fill(0);
  const src = new DataView(storageBytes.buffer, storageBytes.byteOffset, storageBytes.byteLength);
  const outSize = type.float ? 4 : type.size;
  const out = new Uint8Array(count * outSize);
  const dst = new DataView(out.buffer);
  let pos = t.offset;
  for (let i = 0; i < count; i++) {
    const at = pos * type.size;
    if (type.float) {
      let v: number;
      if (type.dtype === "F32") v = src.getFloat32(at, littleEndian);
      else if (type.dtype === "F64") v = src.getFloat64(at, littleEndian);
      else if (type.dtype === "F16") v = halfToFloat(src.getUint16(at, littleEndian));
      else v = bf16ToFloat(src.getUint16(at, littleEndian));
      dst.setFloat32(i * 4, v, true);
    } else
      for (let b = 0; b < type.size; b++)
        out[i * type.size + b] = storageBytes[at + (littleEndian ? b : type.size - 1 - b)] ?? 0;
    for (let d = rank - 1; d >= 0; d--) {
      const stride = t.stride[d] ?? 0;
      index[d]!++;
      pos += stride;
      if (index[d]! < (t.shape[d] ?? 0)) break;
      pos -= stride * (t.shape[d] ?? 0);
      index[d] = 0;
    }
  }
  return { dtype: type.float ? "F32" : type.dtype, shape, bytes: out };
}

// ---- finding the state dict

const WRAPPER_KEYS = ["state_dict", "model_state_dict", "model"];
const PREFIXES = ["module.", "_orig_mod."];

function wholeModelError(obj: PyObject): never {
  return bad(
    `the file holds a whole pickled object of class ${obj.cls} (torch.save(model)), not a state_dict. ` +
      `ConvLens reads tensors only and never runs pickled code: save the weights with torch.save(model.state_dict(), path) instead.`,
  );
}

function findStateDict(value: PyValue): Map<string, PyTensor> {
  if (value instanceof PyObject) wholeModelError(value);
  if (!(value instanceof Map)) return bad("the file holds no dictionary of tensors (a state_dict).");
  for (const key of WRAPPER_KEYS) {
    const inner = value.get(key);
    if (inner instanceof Map || inner instanceof PyObject) return findStateDict(inner);
  }
  let tensors = new Map<string, PyTensor>();
  for (const [k, v] of value) if (typeof k === "string" && v instanceof PyTensor) tensors.set(k, v);
  if (tensors.size === 0) {
    const keys = [...value.keys()].map(String).slice(0, 8);
    return bad(
      `no tensors found (top-level keys: ${keys.join(", ") || "none"}); expected a state_dict, or one under "state_dict", "model_state_dict" or "model".`,
    );
  }
  // DataParallel / torch.compile wrappers prefix every key.
  for (const prefix of PREFIXES) {
    if ([...tensors.keys()].every((k) => k.startsWith(prefix)))
      tensors = new Map([...tensors].map(([k, v]) => [k.slice(prefix.length), v]));
  }
  return tensors;
}

// ---- the file

/** torch.save's magic number, pickled first in the legacy (pre-1.6) format: PROTO 2, LONG1 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/** The legacy (`_use_new_zipfile_serialization=False`) format: pickles one after another, no zip. */
export function isLegacyTorchFile(bytes: Uint8Array): boolean {
  return bytes.length >= LEGACY_MAGIC.length && LEGACY_MAGIC.every((b, i) => bytes[i] === b);
}

export function isPytorchCheckpoint(bytes: Uint8Array): boolean {
  return isZip(bytes) || isLegacyTorchFile(bytes);
}

export function readPytorchCheckpoint(bytes: Uint8Array): Map<string, StoredTensor> {
  if (isLegacyTorchFile(bytes))
    bad(
      "this is the legacy (pre-1.6) torch.save format (_use_new_zipfile_serialization=False), which ConvLens does not read. " +
        "Re-save it with a current PyTorch: torch.save(torch.load(path), path).",
    );
  if (!isZip(bytes)) bad("not a torch.save file (it is not a zip archive).");
  const entries = readZipDirectory(bytes);
  const pkl = [...entries.values()]
    .filter((e) => e.name === "data.pkl" || e.name.endsWith("/data.pkl"))
    .sort((a, b) => a.name.length - b.name.length)[0];
  if ([...entries.keys()].some((n) => n.endsWith("constants.pkl") || n.includes("/code/")))
    bad(
      "this is a TorchScript archive (torch.jit.save), not a state_dict. Save the weights with torch.save(model.state_dict(), path).",
    );
  if (!pkl) return bad("a zip archive without data.pkl: not a torch.save file.");
  const prefix = pkl.name.slice(0, pkl.name.length - "data.pkl".length);
  const entry = (name: string): ZipEntry | undefined => entries.get(prefix + name);
  const order = entry("byteorder");
  const littleEndian = order ? decoder.decode(readZipEntry(bytes, order)).trim() !== "big" : true;

  const top = unpickle(readZipEntry(bytes, pkl), (pid) => {
    if (!Array.isArray(pid) || pid[0] !== "storage") return bad("an unknown persistent id in data.pkl.");
    const [, type, key] = pid;
    if (!(type instanceof PyGlobal)) return bad("a storage without a type.");
    return new PyStorage(type.name, String(key));
  });
  const stateDict = findStateDict(top);
  const storages = new Map<string, Uint8Array>();
  const out = new Map<string, StoredTensor>();
  for (const [name, t] of stateDict) {
    const key = t.storage.key;
    let data = storages.get(key);
    if (!data) {
      const e = entry(`data/${key}`);
      if (!e) return bad(`the data of "${name}" (data/${key}) is missing from the archive.`);
      data = readZipEntry(bytes, e);
      storages.set(key, data);
    }
    out.set(name, materialize(name, t, data, littleEndian));
  }
  return out;
}

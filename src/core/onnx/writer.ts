/**
 * IR → ONNX bytes. Used to build models to run (and, in tests and tools,
 * synthetic graphs); the inverse of formats/onnx/reader.
 */
import protobuf from "protobufjs/light";
import { onnxCodeOf } from "../ir/dtype";
import type { AttrValue, Graph, Model, Node, Tensor, ValueInfo } from "../ir/types";
import { ModelError } from "../ir/types";
import { attrTypeCode } from "../ops/attrSchemas";
import { ONNX_DESCRIPTOR } from "../formats/onnx/schema";

let root: protobuf.Root | undefined;
function protoType(name: "ModelProto" | "GraphProto" | "TensorProto"): protobuf.Type {
  root ??= protobuf.Root.fromJSON(ONNX_DESCRIPTOR);
  return root.lookupType(`onnx.${name}`);
}

const enc = new TextEncoder();

function tensorProto(t: Tensor): Record<string, unknown> {
  const base: Record<string, unknown> = { name: t.name, dims: [...t.dims], dataType: onnxCodeOf(t.dtype) };
  const s = t.storage;
  if (s.kind === "inline") base["rawData"] = s.bytes;
  else if (s.kind === "typed") {
    if (t.dtype === "int64") base["int64Data"] = Array.from(s.values);
    else if (t.dtype === "float64") base["doubleData"] = Array.from(s.values);
    else if (t.dtype === "float32") base["floatData"] = Array.from(s.values);
    else base["int32Data"] = Array.from(s.values);
  } else if (s.kind === "external") {
    base["dataLocation"] = 1;
    base["externalData"] = [
      { key: "location", value: s.location },
      { key: "offset", value: String(s.offset) },
      { key: "length", value: String(s.length) },
    ];
  }
  return base;
}

/** `type`: the AttributeProto type code, from the file the node was read from or the op's schema. */
function attrProto(name: string, v: AttrValue, type?: number): Record<string, unknown> {
  if (typeof v === "number") {
    if (type === 1 || (type === undefined && !Number.isInteger(v))) return { name, type: 1, f: v };
    if (!Number.isInteger(v)) throw new ModelError(`attribute ${name} must be an integer, got ${v}`);
    return { name, type: 2, i: v };
  }
  if (typeof v === "string") return { name, type: 3, s: enc.encode(v) };
  if (Array.isArray(v)) {
    if (type !== 6 && type !== 7 && v.every((x) => typeof x === "string"))
      return { name, type: 8, strings: (v as string[]).map((x) => enc.encode(x)) };
    const nums = v as number[];
    if (type === 6 || (type === undefined && !nums.every(Number.isInteger)))
      return { name, type: 6, floats: nums };
    if (!nums.every(Number.isInteger))
      throw new ModelError(`attribute ${name} must be integers, got ${JSON.stringify(nums)}`);
    return { name, type: 7, ints: nums };
  }
  if ("dims" in v) return { name, type: 4, t: tensorProto(v) };
  if ("graph" in v) return { name, type: 5, g: graphProto(v.graph) };
  throw new Error(`cannot write attribute ${name}`);
}

/** The type of a node's attribute: as read from its file, else from the op's schema (default domain). */
function attrType(n: Node, name: string): number | undefined {
  return (
    n.attrTypes?.[name] ??
    (n.domain === "" || n.domain === "ai.onnx" ? attrTypeCode(n.opType, name) : undefined)
  );
}

function valueInfoProto(v: ValueInfo): Record<string, unknown> {
  const tensorType: Record<string, unknown> = { elemType: onnxCodeOf(v.dtype) };
  if (v.shape)
    tensorType["shape"] = {
      dim: v.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
    };
  return { name: v.name, type: { tensorType } };
}

/** A graph (the model's, or an If / Loop / Scan body, written the same way). */
function graphProto(g: Graph, withInitializers = true): Record<string, unknown> {
  return {
    name: g.name,
    node: g.nodes.map((n) => ({
      name: n.name,
      opType: n.opType,
      domain: n.domain,
      input: [...n.inputs],
      output: [...n.outputs],
      attribute: Object.entries(n.attrs).map(([k, v]) => attrProto(k, v, attrType(n, k))),
    })),
    initializer: withInitializers ? [...g.initializers.values()].map(tensorProto) : [],
    input: g.inputs.map(valueInfoProto),
    output: g.outputs.map(valueInfoProto),
  };
}

function encode(name: "ModelProto" | "GraphProto" | "TensorProto", obj: Record<string, unknown>): Uint8Array {
  const type = protoType(name);
  return type.encode(type.fromObject(obj)).finish();
}

/** The tag and length that open a length-delimited field `id` of `length` bytes. */
function delimited(id: number, length: number): Uint8Array {
  const out = [id * 8 + 2];
  for (let n = length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      out.push(n);
      break;
    }
    out.push((n % 128) | 128);
  }
  return Uint8Array.from(out);
}

const byteLength = (parts: readonly Uint8Array[]) => parts.reduce((sum, p) => sum + p.length, 0);

/**
 * One initializer as TensorProto bytes, in parts: its raw data (megabytes of weights) is spliced
 * in as is, where protobufjs would copy it several times (growing its buffer, shifting each
 * enclosing message to prefix its length).
 */
function tensorParts(t: Tensor): Uint8Array[] {
  const proto = tensorProto(t);
  if (t.storage.kind !== "inline") return [encode("TensorProto", proto)];
  const raw = t.storage.bytes;
  const rest = { ...proto };
  delete rest["rawData"];
  const rawId = protoType("TensorProto").fields["rawData"]?.id ?? 9;
  return [encode("TensorProto", rest), delimited(rawId, raw.length), raw];
}

/**
 * ONNX bytes of `model`. The graph's initializers follow its other fields (protobuf readers take
 * fields in any order), each written around its raw bytes: ResNet-18's 45 MB are copied once.
 */
export function writeOnnx(model: Model): Uint8Array {
  const head = encode("ModelProto", {
    // Models built from source or text definitions have no IR version of their own: write opset 17's (8).
    irVersion: model.irVersion || 8,
    producerName: model.producer,
    opsetImport: Object.entries(model.opsets).map(([domain, version]) => ({ domain, version })),
  });
  const initializerId = protoType("GraphProto").fields["initializer"]?.id ?? 5;
  const graph: Uint8Array[] = [encode("GraphProto", graphProto(model.graph, false))];
  for (const t of model.graph.initializers.values()) {
    const parts = tensorParts(t);
    graph.push(delimited(initializerId, byteLength(parts)), ...parts);
  }
  const graphId = protoType("ModelProto").fields["graph"]?.id ?? 7;
  const parts = [head, delimited(graphId, byteLength(graph)), ...graph];
  const out = new Uint8Array(byteLength(parts));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * IR → ONNX bytes. Used to build models to run (and, in tests and tools,
 * synthetic graphs); the inverse of formats/onnx/reader.
 */
import protobuf from "protobufjs/light";
import { onnxCodeOf } from "../ir/dtype";
import type { AttrValue, Model, Tensor, ValueInfo } from "../ir/types";
import { ONNX_DESCRIPTOR } from "../formats/onnx/schema";

let root: protobuf.Root | undefined;
function modelType(): protobuf.Type {
  root ??= protobuf.Root.fromJSON(ONNX_DESCRIPTOR);
  return root.lookupType("onnx.ModelProto");
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

function attrProto(name: string, v: AttrValue, type?: number): Record<string, unknown> {
  if (typeof v === "number")
    return type === 1 || (type === undefined && !Number.isInteger(v))
      ? { name, type: 1, f: v }
      : { name, type: 2, i: v };
  if (type === 6 && Array.isArray(v)) return { name, type: 6, floats: v };
  if (typeof v === "string") return { name, type: 3, s: enc.encode(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === "string"))
      return { name, type: 8, strings: (v as string[]).map((x) => enc.encode(x)) };
    const nums = v as number[];
    return nums.every(Number.isInteger) ? { name, type: 7, ints: nums } : { name, type: 6, floats: nums };
  }
  if ("dims" in v) return { name, type: 4, t: tensorProto(v) };
  throw new Error(`cannot write attribute ${name}`);
}

function valueInfoProto(v: ValueInfo): Record<string, unknown> {
  const tensorType: Record<string, unknown> = { elemType: onnxCodeOf(v.dtype) };
  if (v.shape)
    tensorType["shape"] = {
      dim: v.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
    };
  return { name: v.name, type: { tensorType } };
}

export function writeOnnx(model: Model): Uint8Array {
  const g = model.graph;
  const obj = {
    // Models built from source or text definitions have no IR version of their own: write opset 17's (8).
    irVersion: model.irVersion || 8,
    producerName: model.producer,
    opsetImport: Object.entries(model.opsets).map(([domain, version]) => ({ domain, version })),
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({
        name: n.name,
        opType: n.opType,
        domain: n.domain,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs).map(([k, v]) => attrProto(k, v, n.attrTypes?.[k])),
      })),
      initializer: [...g.initializers.values()].map(tensorProto),
      input: g.inputs.map(valueInfoProto),
      output: g.outputs.map(valueInfoProto),
    },
  };
  const type = modelType();
  return type.encode(type.fromObject(obj)).finish();
}

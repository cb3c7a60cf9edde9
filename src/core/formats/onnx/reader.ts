/**
 * ONNX reader: decodes a ModelProto with protobufjs into the IR. Weight bytes are
 * never copied: inline tensors keep a view into the file buffer, and tensors with
 * data_location = EXTERNAL keep only their location, read later when needed.
 */
import protobuf from "protobufjs/light";
import { dtypeFromOnnx } from "../../ir/dtype";
import type { AttrValue, Dim, Graph, Model, Node, Tensor, TensorStorage, ValueInfo } from "../../ir/types";
import { ModelError } from "../../ir/types";
import { ONNX_DESCRIPTOR } from "./schema";

/* Loose shapes of the decoded protobuf messages (protobufjs returns plain objects). */
type Int64 = number | { toNumber(): number } | null | undefined;
interface PTensor {
  name?: string;
  dims?: Int64[];
  dataType?: number;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  doubleData?: number[];
  uint64Data?: Int64[];
  externalData?: { key?: string; value?: string }[];
  dataLocation?: number;
}
interface PValueInfo {
  name?: string;
  type?: {
    tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: Int64; dimParam?: string }[] } };
  };
}
interface PAttr {
  name?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: PTensor;
  g?: PGraph;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: PTensor[];
  graphs?: PGraph[];
}
interface PNode {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: PAttr[];
}
interface PGraph {
  node?: PNode[];
  name?: string;
  initializer?: PTensor[];
  input?: PValueInfo[];
  output?: PValueInfo[];
  valueInfo?: PValueInfo[];
}
interface PModel {
  irVersion?: Int64;
  opsetImport?: { domain?: string; version?: Int64 }[];
  producerName?: string;
  producerVersion?: string;
  graph?: PGraph;
}

let modelType: protobuf.Type | undefined;
function getModelType(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_DESCRIPTOR).lookupType("onnx.ModelProto");
  return modelType;
}

function int(v: Int64): number {
  if (v === null || v === undefined) return 0;
  return typeof v === "number" ? v : v.toNumber();
}

const text = new TextDecoder();

export interface OnnxReadOptions {
  /** Tells whether an external data file (relative to the model) exists; absent → weightless. */
  readonly externalExists?: (location: string) => boolean;
}

/** ONNX files begin with field 1 (ir_version, varint): byte 0x08. */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0x08;
}

export function readOnnx(bytes: Uint8Array, options: OnnxReadOptions = {}): Model {
  if (bytes.byteLength === 0) throw new ModelError("The file is empty (0 bytes): not an ONNX model.");
  let decoded: PModel;
  try {
    decoded = getModelType().decode(bytes) as unknown as PModel;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ModelError(
      `Not a valid ONNX file: protobuf decoding failed (${why}); the file is truncated or not ONNX.`,
    );
  }
  if (!decoded.graph)
    throw new ModelError("Not an ONNX model: the file decodes as protobuf but has no graph.");
  const irVersion = int(decoded.irVersion);
  if (irVersion <= 0 || irVersion > 100)
    throw new ModelError(`Not an ONNX model: implausible ir_version ${irVersion}.`);
  const opsets: Record<string, number> = {};
  for (const o of decoded.opsetImport ?? []) {
    const d = o.domain ?? "";
    opsets[d === "ai.onnx" ? "" : d] = int(o.version);
  }
  let weightless = false;
  const exists = options.externalExists;
  const graph = convertGraph(decoded.graph, (t) => {
    if (t.storage.kind === "external" && !(exists?.(t.storage.location) ?? false)) weightless = true;
  });
  const producer = [decoded.producerName, decoded.producerVersion].filter(Boolean).join(" ");
  return { format: "onnx", graph, opsets, producer, irVersion, weightless };
}

function convertTensor(t: PTensor): Tensor {
  const dims = (t.dims ?? []).map(int);
  const dtype = dtypeFromOnnx(t.dataType ?? 0);
  let storage: TensorStorage = { kind: "none" };
  if (t.dataLocation === 1) {
    const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? "", e.value ?? ""]));
    storage = {
      kind: "external",
      location: kv.get("location") ?? "",
      offset: Number(kv.get("offset") ?? 0),
      length: Number(kv.get("length") ?? 0),
    };
  } else if (t.rawData && t.rawData.byteLength > 0) {
    storage = { kind: "inline", bytes: t.rawData };
  } else {
    const typed =
      nonEmpty(t.floatData) ??
      nonEmpty(t.int32Data) ??
      nonEmpty(t.doubleData) ??
      nonEmpty(t.int64Data?.map(int)) ??
      nonEmpty(t.uint64Data?.map(int));
    if (typed) storage = { kind: "typed", values: typed };
  }
  return { name: t.name ?? "", dtype, dims, storage };
}

function nonEmpty(a: number[] | undefined): number[] | undefined {
  return a && a.length > 0 ? a : undefined;
}

function convertValueInfo(v: PValueInfo): ValueInfo {
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim;
  const shape: Dim[] | undefined = dims?.map((d) =>
    d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? int(d.dimValue) : "?",
  );
  return {
    name: v.name ?? "",
    dtype: dtypeFromOnnx(tt?.elemType ?? 0),
    shape: tt?.shape ? shape : undefined,
  };
}

// AttributeProto.AttributeType codes.
const ATTR_FLOAT = 1,
  ATTR_INT = 2,
  ATTR_STRING = 3,
  ATTR_TENSOR = 4,
  ATTR_GRAPH = 5,
  ATTR_FLOATS = 6,
  ATTR_INTS = 7,
  ATTR_STRINGS = 8;

function convertAttr(a: PAttr, onTensor: (t: Tensor) => void): AttrValue {
  const type = a.type ?? guessAttrType(a);
  switch (type) {
    case ATTR_FLOAT:
      return a.f ?? 0;
    case ATTR_INT:
      return int(a.i);
    case ATTR_STRING:
      return decodeText(a.s);
    case ATTR_TENSOR:
      return a.t ? convertTensor(a.t) : { kind: "other" };
    case ATTR_GRAPH:
      return a.g
        ? { kind: "graph", nodeCount: a.g.node?.length ?? 0, graph: convertGraph(a.g, onTensor) }
        : { kind: "other" };
    case ATTR_FLOATS:
      return a.floats ?? [];
    case ATTR_INTS:
      return (a.ints ?? []).map(int);
    case ATTR_STRINGS:
      return (a.strings ?? []).map(decodeText);
    default:
      return { kind: "other" };
  }
}

/** protobufjs gives an empty bytes field as a plain [] (not a Uint8Array), which TextDecoder refuses. */
function decodeText(b: Uint8Array | undefined): string {
  return b && b.length > 0 ? text.decode(b) : "";
}

/** Files from very old exporters omit AttributeProto.type: infer it from the field present. */
function guessAttrType(a: PAttr): number {
  if (a.ints?.length) return ATTR_INTS;
  if (a.floats?.length) return ATTR_FLOATS;
  if (a.strings?.length) return ATTR_STRINGS;
  if (a.t) return ATTR_TENSOR;
  if (a.g) return ATTR_GRAPH;
  if (a.s?.length) return ATTR_STRING;
  if (a.f) return ATTR_FLOAT;
  return ATTR_INT;
}

function convertGraph(g: PGraph, onTensor: (t: Tensor) => void): Graph {
  const initializers = new Map<string, Tensor>();
  for (const pt of g.initializer ?? []) {
    const t = convertTensor(pt);
    onTensor(t);
    initializers.set(t.name, t);
  }
  const usedNames = new Set<string>();
  const nodes: Node[] = (g.node ?? []).map((n, i) => {
    const opType = n.opType ?? "";
    let name = n.name ?? "";
    // Node names are optional and may repeat; the IR needs a unique id per node.
    if (name === "" || usedNames.has(name)) name = `${name || opType}_${i}`;
    usedNames.add(name);
    const attrs: Record<string, AttrValue> = {};
    const attrTypes: Record<string, number> = {};
    for (const a of n.attribute ?? []) {
      attrs[a.name ?? ""] = convertAttr(a, onTensor);
      attrTypes[a.name ?? ""] = a.type ?? guessAttrType(a);
    }
    return {
      name,
      opType,
      domain: n.domain ?? "",
      inputs: n.input ?? [],
      outputs: n.output ?? [],
      attrs,
      attrTypes,
    };
  });
  const inputs = (g.input ?? []).map(convertValueInfo).filter((v) => !initializers.has(v.name));
  return {
    name: g.name ?? "",
    nodes,
    inputs,
    outputs: (g.output ?? []).map(convertValueInfo),
    initializers,
    valueInfo: new Map((g.valueInfo ?? []).map((v) => [v.name ?? "", convertValueInfo(v)])),
  };
}

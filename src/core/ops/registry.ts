/**
 * The op table: one entry per ONNX op type (default domain, ai.onnx.ml) and per framework layer
 * without an ONNX operator (CAFFE_DOMAIN, DARKNET_DOMAIN, KERAS_DOMAIN), holding its shape, cost
 * and receptive-field rules and its attribute schema. An op not listed here yields unknown
 * shapes downstream and a visible "unknown: no rule for op X".
 */
import { ATTR_SCHEMAS } from "./attrSchemas";
import { ATTENTION_OPS, PREVIEW_OPS } from "./attentionOps";
import { CAFFE_DOMAIN, CAFFE_OPS } from "./caffeOps";
import { DARKNET_DOMAIN, DARKNET_OPS } from "./darknetOps";
import { KERAS_DOMAIN, KERAS_OPS } from "./kerasOps";
import { CONTROL_FLOW_OPS } from "./controlFlowOps";
import { ELEMENTWISE_OPS } from "./elementwiseOps";
import { GATHER_SCATTER_OPS } from "./gatherScatterOps";
import { LINALG_OPS } from "./linalgOps";
import { QUANT_OPS } from "./quantOps";
import { SAMPLING_OPS } from "./samplingOps";
import { SEQUENCE_OPS } from "./sequenceOps";
import { SHAPE_OPS } from "./shapeOps";
import { ML_OPS, TEXT_OPS } from "./textOps";
import { STATE_OPS, TRAINING_OPS } from "./stateOps";
import type { OpRule } from "./types";
import { UNPOOL_OPS } from "./unpoolOps";
import { VALUE_OPS } from "./valueOps";
import { WINDOW_OPS } from "./windowOps";

const OPS: ReadonlyMap<string, OpRule> = new Map(
  Object.entries({
    ...ELEMENTWISE_OPS,
    ...SHAPE_OPS,
    ...VALUE_OPS,
    ...WINDOW_OPS,
    ...LINALG_OPS,
    ...UNPOOL_OPS,
    ...QUANT_OPS,
    ...GATHER_SCATTER_OPS,
    ...ATTENTION_OPS,
    ...SAMPLING_OPS,
    ...TEXT_OPS,
    ...CONTROL_FLOW_OPS,
    ...SEQUENCE_OPS,
    ...STATE_OPS,
  }).map(([op, rule]): [string, OpRule] => [op, { ...rule, attrs: rule.attrs ?? ATTR_SCHEMAS[op] ?? [] }]),
);

const ML: ReadonlyMap<string, OpRule> = new Map(Object.entries(ML_OPS));
const CAFFE: ReadonlyMap<string, OpRule> = new Map(Object.entries(CAFFE_OPS));
const PREVIEW: ReadonlyMap<string, OpRule> = new Map(Object.entries(PREVIEW_OPS));
const TRAINING: ReadonlyMap<string, OpRule> = new Map(Object.entries(TRAINING_OPS));
const DARKNET: ReadonlyMap<string, OpRule> = new Map(Object.entries(DARKNET_OPS));
const KERAS: ReadonlyMap<string, OpRule> = new Map(Object.entries(KERAS_OPS));

/** Domains of framework layers ConvLens analyses but that are no ONNX operators: nothing can run them. */
export const FRAMEWORK_DOMAINS: ReadonlySet<string> = new Set([CAFFE_DOMAIN, DARKNET_DOMAIN, KERAS_DOMAIN]);

export function opRule(opType: string, domain: string): OpRule | undefined {
  if (domain === "ai.onnx.ml") return ML.get(opType);
  if (domain === CAFFE_DOMAIN) return CAFFE.get(opType);
  if (domain === "ai.onnx.preview") return PREVIEW.get(opType);
  if (domain === "ai.onnx.preview.training") return TRAINING.get(opType);
  if (domain === DARKNET_DOMAIN) return DARKNET.get(opType);
  if (domain === KERAS_DOMAIN) return KERAS.get(opType);
  if (domain !== "" && domain !== "ai.onnx") return undefined;
  return OPS.get(opType);
}

export function knownOps(): string[] {
  return [...OPS.keys()].sort();
}

/**
 * The op table: one entry per ONNX op type (default domain), holding its
 * shape, cost and receptive-field rules and its attribute schema. An op not listed here yields unknown
 * shapes downstream and a visible "unknown: no rule for op X".
 */
import { ATTR_SCHEMAS } from "./attrSchemas";
import { ELEMENTWISE_OPS } from "./elementwiseOps";
import { LINALG_OPS } from "./linalgOps";
import { SHAPE_OPS } from "./shapeOps";
import type { OpRule } from "./types";
import { UNPOOL_OPS } from "./unpoolOps";
import { WINDOW_OPS } from "./windowOps";

const OPS: ReadonlyMap<string, OpRule> = new Map(
  Object.entries({ ...ELEMENTWISE_OPS, ...SHAPE_OPS, ...WINDOW_OPS, ...LINALG_OPS, ...UNPOOL_OPS }).map(
    ([op, rule]): [string, OpRule] => [op, { ...rule, attrs: rule.attrs ?? ATTR_SCHEMAS[op] ?? [] }],
  ),
);

export function opRule(opType: string, domain: string): OpRule | undefined {
  if (domain !== "" && domain !== "ai.onnx") return undefined;
  return OPS.get(opType);
}

export function knownOps(): string[] {
  return [...OPS.keys()].sort();
}

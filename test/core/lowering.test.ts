/**
 * One mechanism for running ops onnxruntime (opset 17) lacks: every op-table entry with a `lower`
 * rule — framework-named activations and Darknet's recurrent sections alike — is rewritten by
 * lowerForRuntime into standard ops the op table knows, writing the node's own output name.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readModel } from "../../src/core/formats/registry";
import type { Node } from "../../src/core/ir/types";
import { lowerForRuntime, lowersForRuntime } from "../../src/core/onnx/lowering";
import { DARKNET_DOMAIN } from "../../src/core/ops/darknetOps";
import { opRule } from "../../src/core/ops/registry";

const node = (opType: string, domain = "", attrs: Node["attrs"] = {}): Node => ({
  name: `n_${opType}`,
  opType,
  domain,
  inputs: ["x"],
  outputs: ["y"],
  attrs,
});

describe("lowering through the op table", () => {
  it("Silu becomes x · Sigmoid(x), writing the node's output; Relu is left as it is", () => {
    const { nodes, constants } = lowerForRuntime([node("Silu"), node("Relu")]);
    expect(nodes.map((n) => n.opType)).toEqual(["Sigmoid", "Mul", "Relu"]);
    expect(nodes[1]?.inputs).toEqual(["x", nodes[0]?.outputs[0]]);
    expect(nodes[1]?.outputs).toEqual(["y"]);
    expect(constants).toEqual([]);
  });

  it("Hardtanh's bounds become float scalar constants", () => {
    const { nodes, constants } = lowerForRuntime([node("Hardtanh")]);
    expect(nodes.map((n) => n.opType)).toEqual(["Clip"]);
    const values = constants.map((t) =>
      t.storage.kind === "inline" ? new Float32Array(t.storage.bytes.slice().buffer)[0] : NaN,
    );
    expect(values).toEqual([-1, 1]);
  });

  it("Darknet [rnn], [crnn], [lstm], [conv_lstm], [history] lower; [gru], [local] do not", () => {
    const lowers = (op: string) => lowersForRuntime(node(op, DARKNET_DOMAIN));
    expect(["RNN", "CRNN", "LSTM", "ConvLSTM", "History"].every(lowers)).toBe(true);
    expect(["GRU", "Local"].some(lowers)).toBe(false);
  });

  it("a lowering that cannot run this node gives a one-line reason naming the layer", () => {
    const rnn = { ...node("RNN", DARKNET_DOMAIN, { logistic: 1 }), layer: "3" };
    expect(() => lowerForRuntime([rnn])).toThrow(/^Cannot run: layer "3" \(RNN\): its logistic= is read/);
  });

  it("every op a lowering emits is a standard op with a rule (rnn.cfg)", () => {
    const cfg = readFileSync(resolve(__dirname, "../fixtures/darknet/rnn.cfg"));
    const { nodes } = lowerForRuntime(readModel("rnn.cfg", cfg).graph.nodes);
    expect(nodes.some((n) => n.name.includes("/lowered"))).toBe(true);
    for (const n of nodes) expect(opRule(n.opType, n.domain)?.lower, n.opType).toBeUndefined();
    for (const n of nodes) expect(opRule(n.opType, n.domain), n.opType).toBeDefined();
  });
});

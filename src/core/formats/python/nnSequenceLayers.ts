/** torch.nn sequence layers: LSTM / GRU / RNN and MultiheadAttention, as ONNX-style nodes. */
import { F, I1, T, one, op, w, type LayerSpec } from "./nnLayerKit";
import { getBool, getInt } from "./pyArgs";
import { tuple, unknown, type PyTensor, type PyValue } from "./values";

function recurrent(gates: number, opType: string): LayerSpec {
  return {
    params: ["input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional"],
    defaults: { num_layers: I1, bias: T, batch_first: F, bidirectional: F },
    forward(c) {
      const h = getInt(c.args, "hidden_size"),
        layers = getInt(c.args, "num_layers");
      const dirs = getBool(c.args, "bidirectional", false) ? 2 : 1;
      const batchFirst = getBool(c.args, "batch_first", false);
      let x = c.x;
      // ONNX recurrent ops are sequence-first: transpose around them as the exporter does.
      if (batchFirst) x = op(c, "Transpose", [x.value], { perm: [1, 0, 2] })[0] as PyTensor;
      const states: string[] = [];
      const cells: string[] = [];
      // h_n (and c_n) stack every layer's final state: (layers · dirs, N, h).
      const stack = (names: string[]): PyValue =>
        names.length === 1 ? c.b.tensor(names[0] as string) : one(op(c, "Concat", names, { axis: 0 }));
      let state: PyValue = unknown("recurrent layer");
      let inSize = getInt(c.args, "input_size");
      for (let l = 0; l < layers; l++) {
        const inputs = [
          x.value,
          w(c, `weight_ih_l${l}`, [dirs, gates * h, inSize]),
          w(c, `weight_hh_l${l}`, [dirs, gates * h, h]),
        ];
        if (getBool(c.args, "bias", true)) inputs.push(w(c, `bias_l${l}`, [dirs, 2 * gates * h]));
        const outs = op(
          c,
          opType,
          inputs,
          { hidden_size: h, direction: dirs === 2 ? "bidirectional" : "forward" },
          { outputs: opType === "LSTM" ? 3 : 2 },
        );
        const [y, yh, yc] = outs;
        if (!y || !yh) return unknown("recurrent layer");
        states.push(yh.value);
        if (yc) cells.push(yc.value);
        // The states are stacked before the last layer's output is reshaped, so that the layer's
        // last node is its output sequence (what its table row shows), never h_n.
        if (l === layers - 1)
          state = opType === "LSTM" ? tuple([stack(states), stack(cells)]) : stack(states);
        const yt = op(c, "Transpose", [y.value], { perm: [0, 2, 1, 3] })[0] as PyTensor; // [L, N, dirs, h]
        x = op(c, "Reshape", [yt.value, c.b.constInts([0, 0, dirs * h])], {})[0] as PyTensor;
        inSize = dirs * h;
      }
      // The output comes last so that the layer's last node is its output (what tables show).
      const out = batchFirst ? (op(c, "Transpose", [x.value], { perm: [1, 0, 2] })[0] as PyTensor) : x;
      return tuple([out, state]);
    },
  };
}

/**
 * MultiheadAttention as its matrix products (in-projection, QKᵀ, ·V, out-projection), so the
 * MACs are counted exactly: 4·L·E² + 2·L²·E per batch element. Returns (output, weights).
 */
const multiheadAttention: LayerSpec = {
  params: [
    "embed_dim",
    "num_heads",
    "dropout",
    "bias",
    "add_bias_kv",
    "add_zero_attn",
    "kdim",
    "vdim",
    "batch_first",
  ],
  defaults: { bias: T, batch_first: F },
  forward(c) {
    const e = getInt(c.args, "embed_dim");
    const bias = getBool(c.args, "bias", true);
    const first = (ts: PyTensor[]) => ts[0] as PyTensor;
    // Unbatched (L, E) inputs run as a batch of one, (L, 1, E), and the results drop it again: PyTorch
    // returns (L, E) and weights (L, S); batch_first does not apply to them.
    const unbatched = c.x.state.shape?.length === 2;
    const batchFirst = !unbatched && getBool(c.args, "batch_first", false);
    const one = (t: PyTensor, how: "Unsqueeze" | "Squeeze", axis: number) =>
      first(op(c, how, [t.value, c.b.constInts([axis])], {}));
    const bf = (t0: PyTensor) => {
      const t = unbatched ? one(t0, "Unsqueeze", 1) : t0;
      return batchFirst ? t : first(op(c, "Transpose", [t.value], { perm: [1, 0, 2] }));
    };
    const q = bf(c.x);
    const k = c.rest[0]?.t === "tensor" ? bf(c.rest[0]) : q;
    const v = c.rest[1]?.t === "tensor" ? bf(c.rest[1]) : k;
    if (getBool(c.args, "add_bias_kv", false) || getBool(c.args, "add_zero_attn", false))
      return unknown("MultiheadAttention with add_bias_kv or add_zero_attn is not followed");
    // kdim / vdim other than embed_dim: separate q / k / v projection weights, as PyTorch keeps them.
    const kv = ["kdim", "vdim"].map((n) => (c.args.get(n)?.t === "int" ? getInt(c.args, n) : e));
    const separate = kv.some((d) => d !== e);
    const wIn = separate ? "" : w(c, "in_proj_weight", [e, 3 * e]);
    const wSep = separate
      ? [
          w(c, "q_proj_weight", [e, e]),
          w(c, "k_proj_weight", [kv[0] ?? e, e]),
          w(c, "v_proj_weight", [kv[1] ?? e, e]),
        ]
      : [];
    const bIn = bias ? w(c, "in_proj_bias", [3 * e]) : "";
    const proj = (t: PyTensor, part: number) => {
      const slice = (x: string, axis: number) =>
        first(
          op(
            c,
            "Slice",
            [x, c.b.constInts([part * e]), c.b.constInts([(part + 1) * e]), c.b.constInts([axis])],
            {},
          ),
        );
      const y = first(op(c, "MatMul", [t.value, separate ? (wSep[part] ?? "") : slice(wIn, 1).value], {}));
      return bias ? first(op(c, "Add", [y.value, slice(bIn, 0).value], {})) : y;
    };
    const [qp, kp, vp] = [proj(q, 0), proj(k, 1), proj(v, 2)];
    const scores = first(
      op(
        c,
        "Softmax",
        [
          first(
            op(c, "MatMul", [qp.value, first(op(c, "Transpose", [kp.value], { perm: [0, 2, 1] })).value], {}),
          ).value,
        ],
        { axis: -1 },
      ),
    );
    let out = first(
      op(
        c,
        "MatMul",
        [first(op(c, "MatMul", [scores.value, vp.value], {})).value, w(c, "out_proj.weight", [e, e])],
        {},
      ),
    );
    if (bias) out = first(op(c, "Add", [out.value, w(c, "out_proj.bias", [e])], {}));
    const seqFirst = batchFirst ? out : first(op(c, "Transpose", [out.value], { perm: [1, 0, 2] }));
    if (unbatched) return tuple([one(seqFirst, "Squeeze", 1), one(scores, "Squeeze", 0)]);
    return tuple([seqFirst, scores]);
  },
};

export const SEQUENCE_LAYERS: Readonly<Record<string, LayerSpec>> = {
  LSTM: recurrent(4, "LSTM"),
  GRU: recurrent(3, "GRU"),
  RNN: recurrent(1, "RNN"),
  MultiheadAttention: multiheadAttention,
};

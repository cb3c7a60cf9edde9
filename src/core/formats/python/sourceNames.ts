/**
 * The graph traced from source (a PyTorch class, a Keras model) is named the way an ONNX
 * exporter names it (`/c1/Conv`, `/out/Gemm_output_0`, op `Gemm`): the runnable model and the
 * Run tab depend on those names. A reader of the source wants its own words: `Linear`,
 * `F.relu`, `x` in PyTorch, `Conv2D`, `Dense`, the layers' `name=`s and `x` in Keras. This is the
 * one place that maps the one onto the other — it adds the source's names beside the
 * graph's (LayerRow.sourceOp, ValueSummary.label, a functional op's row name) and never
 * touches a number, an id or a graph name.
 */
import type { LayerRow, ModelAnalysis, ValueSummary } from "../../analysis/result";

/**
 * What the trace recorded about the source's names (see GraphBuilder.sourceNames / spellings).
 * A Keras model records the variables its tensors are bound to and no spellings: its layers'
 * types and names are the rows' own (layerType, name).
 */
export interface TraceNames {
  /** Graph value → the variable the source first bound it to. */
  readonly values: ReadonlyMap<string, string>;
  /** Node name → the function or operator the source called (`F.relu`, `view`, `+`). */
  readonly spellings: ReadonlyMap<string, string>;
}

/** How the source names the op of each row, by row index (absent: no name of its own). */
function sourceOps(layers: readonly LayerRow[], spellings: TraceNames["spellings"]): Map<number, string> {
  const base = (l: LayerRow) => l.layerType ?? spellings.get(l.id);
  const out = new Map<number, string>();
  // Consecutive rows of one name, source op and call are the nodes of one call (Linear on a
  // 3-D input is MatMul + Add); each of them says which node it is, unless all are the same op
  // (a module called in a loop: one node per call).
  for (let i = 0; i < layers.length;) {
    const first = layers[i] as LayerRow;
    const op = base(first);
    let j = i + 1;
    while (
      op !== undefined &&
      j < layers.length &&
      layers[j]?.name === first.name &&
      base(layers[j] as LayerRow) === op &&
      layers[j]?.source?.call?.from === first.source?.call?.from
    )
      j++;
    const run = layers.slice(i, j);
    const oneOp = run.every((l) => l.opType === first.opType);
    if (op !== undefined) for (const l of run) out.set(l.index, oneOp ? op : `${op} · ${l.opType}`);
    i = j;
  }
  return out;
}

/**
 * A row that ran in no module (a function called in the model's own forward) is named by the
 * node (`/Reshape`); as torch.fx does, it is named after its call instead: `view`, `view_1`.
 */
function rowNames(layers: readonly LayerRow[], spellings: TraceNames["spellings"]): Map<number, string> {
  const taken = new Set(layers.map((l) => l.name));
  const out = new Map<number, string>();
  for (const l of layers) {
    const spelling = spellings.get(l.id);
    if (l.groups.length > 0 || l.name !== l.id || spelling === undefined) continue;
    // An operator is named by what it does (`+` → add), indexing as Python calls it (getitem).
    const stem = /\w/.test(spelling)
      ? spelling.replace(/^(torch|F)\./, "")
      : spelling === "[]"
        ? "getitem"
        : l.opType.toLowerCase();
    let name = stem;
    for (let k = 1; taken.has(name); k++) name = `${stem}_${k}`;
    taken.add(name);
    out.set(l.index, name);
  }
  return out;
}

/** The analysis with the source's names beside the graph's: same rows, same numbers. */
export function withSourceNames(
  a: ModelAnalysis,
  trace: TraceNames,
  definedIn: NonNullable<ModelAnalysis["definedIn"]>,
): ModelAnalysis {
  const ops = sourceOps(a.layers, trace.spellings);
  const names = rowNames(a.layers, trace.spellings);
  const rowName = (l: LayerRow) => names.get(l.index) ?? l.name;
  // What a value is called when the source gives it no name: "output" when forward returns
  // it, else after the row that made it (as torch.fx names a node's value).
  const fallback = new Map<string, string>();
  for (const l of a.layers)
    l.outputs.forEach((o, i) =>
      fallback.set(o.name, l.outputs.length > 1 ? `${rowName(l)}[${i}]` : rowName(l)),
    );
  a.outputs.forEach((o, i) => fallback.set(o.name, a.outputs.length > 1 ? `output[${i}]` : "output"));
  const label = (v: ValueSummary): ValueSummary => {
    const named = trace.values.get(v.name) ?? fallback.get(v.name);
    return named === undefined || named === v.name ? v : { ...v, label: named };
  };
  return {
    ...a,
    definedIn,
    inputs: a.inputs.map(label),
    outputs: a.outputs.map(label),
    layers: a.layers.map((l) => {
      const sourceOp = ops.get(l.index);
      return {
        ...l,
        name: rowName(l),
        ...(sourceOp !== undefined ? { sourceOp } : {}),
        inputs: l.inputs.map(label),
        outputs: l.outputs.map(label),
      };
    }),
  };
}

/**
 * The table hides exporter plumbing (Identity aliases of weights, Constant nodes)
 * by default without changing any total. Counts come from the fixtures' expected/
 * files, written from the PyTorch export (identity_nodes_aliasing_initializers).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../src/core/index";
import { headerView, TableViewModel, type TableRowView } from "../../webview/viewModel";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");

interface Expected {
  onnx: {
    op_counts: Record<string, number>;
    identity_nodes_aliasing_initializers: number;
    initializer_elements_incl_identity_aliases: number;
  };
}

function load(name: string): { model: TableViewModel; expected: Expected } {
  const file = resolve(FIXTURES, "models", `${name}.onnx`);
  const expected = JSON.parse(
    readFileSync(resolve(FIXTURES, "expected", `${name}.json`), "utf8"),
  ) as Expected;
  return { model: new TableViewModel(analyzeFile(file, readFileSync(file))), expected };
}

const layerRows = (rows: readonly TableRowView[]) => rows.filter((r) => r.kind === "layer");

/** Params of the top-level rows: groups carry every layer inside them, listed or not. */
function topLevelParams(rows: readonly TableRowView[]): number {
  return rows
    .filter((r) => r.depth === 0)
    .reduce((sum, r) => sum + (r.kind === "group" ? (r.cells.params.value ?? 0) : r.layer.params), 0);
}

describe.each(["resnet18", "densenet121"])("exporter plumbing in the %s table", (name) => {
  const { model, expected } = load(name);
  const identities = expected.onnx.identity_nodes_aliasing_initializers;
  const total = model.analysis.layers.length;
  // The file's weights, aliases included (the export folds BatchNorm, so not PyTorch's params).
  const fileParams = expected.onnx.initializer_elements_incl_identity_aliases;

  it("marks exactly the Identity nodes aliasing weights as plumbing", () => {
    expect(model.plumbing.size).toBe(identities);
    const ops = [...model.plumbing].map((i) => model.tree.layers.get(i)?.opType);
    expect(new Set(ops)).toEqual(new Set(["Identity"]));
    expect(total).toBe(Object.values(expected.onnx.op_counts).reduce((a, b) => a + b, 0));
  });

  it("hides them by default and lists them after the toggle", () => {
    model.setSort(null);
    model.setAllExpanded(true);
    model.setShowPlumbing(false);
    const hidden = layerRows(model.rows());
    expect(hidden).toHaveLength(total - identities);
    expect(hidden.some((r) => r.kind === "layer" && r.layer.opType === "Identity")).toBe(false);
    model.setShowPlumbing(true);
    expect(layerRows(model.rows())).toHaveLength(total);
    model.setShowPlumbing(false);
  });

  it("keeps the totals: the listed rows and the header still hold every parameter", () => {
    model.setAllExpanded(true);
    model.setShowPlumbing(false);
    const header = headerView(model.analysis).totals.find((t) => t.testId === "total-params");
    const listedParams = layerRows(model.rows()).reduce(
      (s, r) => s + (r.kind === "layer" ? r.layer.params : 0),
      0,
    );
    // The aliased weights are owned by the layers that read them, so hiding the alias rows loses none.
    expect(listedParams).toBe(fileParams);
    expect(header?.dataValue).toBe(String(fileParams));
    model.setAllExpanded(false);
    const collapsedHidden = topLevelParams(model.rows());
    expect(collapsedHidden).toBe(fileParams);
    model.setShowPlumbing(true);
    expect(topLevelParams(model.rows())).toBe(collapsedHidden);
    expect(headerView(model.analysis).totals.find((t) => t.testId === "total-params")).toEqual(header);
  });

  it("applies to a sorted table too, and a filter still finds nothing hidden", () => {
    model.setShowPlumbing(false);
    model.setSort({ column: "params", direction: "desc" });
    expect(layerRows(model.rows())).toHaveLength(total - identities);
    model.setSort(null);
    model.setFilter("identity");
    expect(layerRows(model.rows())).toHaveLength(0);
    model.setShowPlumbing(true);
    expect(layerRows(model.rows())).toHaveLength(identities);
    model.setFilter("");
  });

  it("shows a plumbing row again when it is revealed (selected in the graph or from the editor)", () => {
    model.setShowPlumbing(false);
    const first = Math.min(...model.plumbing);
    model.revealLayer(first);
    expect(model.showPlumbing).toBe(true);
    expect(model.rows().some((r) => r.kind === "layer" && r.index === first)).toBe(true);
  });
});

describe("plumbing rows never hold parameters", () => {
  // Regression: the Keras BiLSTM's bias is a constant layer (no input reaches it) that owns 512 weights;
  // hiding
  // it made the listed rows of `bidirectional` sum to 98,304 where Keras counts 98,816.
  it.each(["imdb_bilstm", "autoencoder"])("keras %s: listed rows add up to the total", (name) => {
    const file = resolve(__dirname, "../fixtures/keras", `${name}.keras`);
    const analysis = analyzeFile(file, readFileSync(file));
    const model = new TableViewModel(analysis);
    const listed = layerRows(model.rows()).reduce(
      (sum, r) => sum + (r.kind === "layer" ? r.layer.params : 0),
      0,
    );
    expect(listed).toBe(analysis.layers.reduce((sum, l) => sum + l.params, 0));
  });
});

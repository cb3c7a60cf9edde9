/**
 * The published Keras applications (keras/src/applications/*.py as Keras 3.15.1 ships them, each with
 * one appended line that builds the model) against model.summary() of the same file run by Keras itself
 * (tools/make_keras_app_refs.py writes <stem>.keras.json). An exact file matches every layer's output
 * shape and params and the totals; the others must say which layer is unknown and why, and every
 * number they do give must still be Keras's.
 */
import { readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { byLayer } from "../../../src/core/analysis/report";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";

const DIR = resolve(__dirname, "../../fixtures/keras/published");
/** Small regression sources (tools/make_keras_snippet_refs.py runs them with Keras): all exact. */
const SNIPPETS = resolve(__dirname, "../../fixtures/keras/snippets");

interface RefLayer {
  name: string;
  type: string;
  output_shape: (number | null)[];
  params: number;
}
interface Ref {
  model: string;
  totals: { params: number };
  layers: RefLayer[];
}

/** What the fixture tool appends to each application; the installed module has no such line. */
const APPENDED = "\n# Appended for ConvLens's fixture:";

/**
 * The corpus folder as a Keras applications folder: the analysed file as it is, a sibling it imports
 * (resnet_v2.py's `from keras.src.applications import resnet`) as Keras ships it, without the appended line.
 */
function filesFor(dir: string, file: string) {
  return {
    read: (path: string): string | undefined => {
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch {
        return undefined;
      }
      return path === resolve(dir, file) ? text : text.split(APPENDED)[0];
    },
  };
}

/** Files not yet read exactly, with what ConvLens says instead (never a wrong number). */
const NOT_EXACT: Readonly<Record<string, { error?: RegExp; unknown?: RegExp }>> = {};

const pyFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".py"));
const files = pyFiles(DIR);

/** Compare ConvLens's reading of `dir/file` with Keras's summary beside it, layer by layer. */
function compare(dir: string, file: string): void {
  const ref = JSON.parse(readFileSync(resolve(dir, file.replace(/\.py$/, ".keras.json")), "utf8")) as Ref;
  const result = analyzePythonSource(readFileSync(resolve(dir, file), "utf8"), {
    fileName: resolve(dir, file),
    files: filesFor(dir, file),
  });
  const model = result.classes.find((c) => c.name === ref.model);
  expect(model, `model ${ref.model} found`).toBeDefined();
  const state = dir === DIR ? NOT_EXACT[file] : undefined;
  if (state?.error) {
    expect(model?.analysis).toBeUndefined();
    expect(model?.error).toMatch(state.error);
    return;
  }
  const a = model?.analysis;
  if (!a) throw new Error(`${file}: ${model?.error ?? "no analysis"}`);
  const layers = byLayer(a).layers;
  const rows = new Map(layers.map((l) => [l.name, l]));
  // A model used as a layer (a Sequential stage) is its layers' rows under `name/`: its params summed,
  // its output the last one's.
  for (const k of ref.layers.filter((l) => l.type === "Sequential" || l.type === "Functional")) {
    const inner = layers.filter((l) => l.name.startsWith(`${k.name}/`));
    const last = inner[inner.length - 1];
    if (last) rows.set(k.name, { ...last, params: inner.reduce((n, l) => n + l.params, 0) });
  }
  const known = ref.layers.filter((l) => l.type !== "InputLayer");
  let compared = 0;
  for (const k of known) {
    const row = rows.get(k.name);
    const shape = row?.outputs[0]?.shape;
    if (state?.unknown && (row === undefined || !shape)) continue;
    expect(row, `layer ${k.name}`).toBeDefined();
    // The batch (None) counts as 1; another None (an image of any size) must stay a symbol, never a number.
    const symbolic = (d: unknown, i: number) => (i > 0 && typeof d === "string" ? null : d);
    expect([k.name, shape?.map(symbolic)]).toEqual([
      k.name,
      k.output_shape.map((d, i) => (i === 0 ? (d ?? 1) : d)),
    ]);
    expect([k.name, row?.params]).toEqual([k.name, k.params]);
    compared++;
  }
  if (state?.unknown) {
    expect(a.warnings.join("\n")).toMatch(state.unknown);
    expect(a.totals.params).toBeLessThan(ref.totals.params);
    expect(a.totals.paramsUnknown?.length ?? 0).toBeGreaterThan(0);
  } else {
    expect(compared).toBe(known.length);
    expect(a.totals.params).toBe(ref.totals.params);
  }
}

describe("published Keras applications against Keras's own summary", () => {
  it("the corpus holds the fifteen applications", () => {
    expect(files).toHaveLength(15);
  });
  it.each(files)("%s", (file) => compare(DIR, file));
});

describe("Keras source snippets against Keras's own summary", () => {
  it.each(pyFiles(SNIPPETS))("%s", (file) => compare(SNIPPETS, file));
});

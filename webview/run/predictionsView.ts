/**
 * The model's own outputs after a run: the top-5 classes (softmax, unless the
 * output already is a probability vector) with class names (a labels file, or the built-in
 * ImageNet-1k names for 1,000 classes: labels.ts) and where they come from, the raw numbers, and
 * map-shaped outputs (segmentation, U-Net) drawn as maps.
 */
import type { LabelsFile } from "../../src/protocol/messages";
import { h } from "../dom";
import type { RunnableInfo } from "../../src/protocol/messages";
import type { OutputData } from "./engine";

type OutputViews = NonNullable<RunnableInfo["outputViews"]>;
import { TensorView, type MapOptions, type MapsCallbacks } from "./featureMapsView";
import { chooseLabels } from "./labels";
import { formatProb, predictions, vectorLength } from "./predictions";
import { shapeText } from "./runModel";
import { formatValue } from "./tensorLayout";

/** Raw values put into data-values (the e2e test reads them); more would bloat the DOM. */
const MAX_RAW_VALUES = 100_000;
const SHOWN_RAW_VALUES = 2000;

/** Where class names may come from; which one applies depends on the output's class count. */
export interface LabelSources {
  /** The labels file the user chose, else labels.txt beside the model. */
  readonly file: LabelsFile | null;
  /** The built-in ImageNet-1k names. */
  readonly imagenet: readonly string[] | null;
}

export interface PredictionsCallbacks extends MapsCallbacks {
  /** "Choose labels…": ask the host for a labels file. */
  chooseLabels(): void;
}

export class PredictionsView {
  readonly element: HTMLElement;
  private maps: TensorView[] = [];
  /** Counts shown results (data-run on the raw values: tests tell a new result from the last). */
  private shown = 0;
  private labels: LabelSources = { file: null, imagenet: null };
  /** The outputs shown, to show them again with other labels. */
  private last: readonly { readonly name: string; readonly out: OutputData }[] | null = null;
  private views: OutputViews = {};

  constructor(
    private readonly options: MapOptions,
    private readonly callbacks: PredictionsCallbacks,
  ) {
    this.element = h("div", { class: "predictions-view" });
    this.clear();
  }

  /** New class names: the results shown (if any) are shown again with them. */
  setLabels(labels: LabelSources): void {
    this.labels = labels;
    if (this.last !== null) this.show(this.last, false);
  }

  clear(text = "Press Run to see what the model predicts."): void {
    this.dispose();
    this.last = null;
    this.element.replaceChildren(h("p", { class: "placeholder" }, text));
  }

  dispose(): void {
    for (const m of this.maps) m.dispose();
    this.maps = [];
  }

  /** `fresh`: a new result (false when the same result is shown again with other labels). */
  /** `views`: a channels-last model's outputs drawn from a channels-first copy, or not drawn (why). */
  show(
    outputs: readonly { readonly name: string; readonly out: OutputData }[],
    fresh = true,
    views: OutputViews = this.views,
  ): void {
    this.dispose();
    this.last = outputs;
    this.views = views;
    if (fresh) this.shown++;
    const sections = outputs.map(({ name, out }, i) => this.output(name, out, i === 0, outputs.length > 1));
    this.element.replaceChildren(...sections);
  }

  private output(name: string, out: OutputData, first: boolean, named: boolean): HTMLElement {
    const title = named ? h("h4", {}, `${name}: ${shapeText(out.dims)}`) : null;
    const n = vectorLength(out.dims);
    const view = this.views[name];
    const body: HTMLElement[] = [];
    if (n !== null && n > 1) body.push(this.topList(out));
    else if (n === 1)
      body.push(h("p", { class: "single-value" }, `Output: ${formatValue(out.data[0] ?? NaN)}`));
    else if (view !== undefined && "notDrawn" in view)
      body.push(
        h("p", { class: "note" }, `The output is ${shapeText(out.dims)}: not drawn, ${view.notDrawn}.`),
      );
    else {
      const maps = new TensorView(
        this.options,
        { ...this.callbacks, pngName: (part) => this.callbacks.pngName(`output-${part}`) },
        "output-maps",
      );
      maps.show(out);
      this.maps.push(maps);
      body.push(
        h(
          "p",
          { class: "note" },
          view === undefined
            ? `The output is ${shapeText(out.dims)}, not a class vector: drawn as maps.`
            : `The output is channels last, not a class vector: drawn as maps from its channels-first ` +
                `copy, ${shapeText(out.dims)}.`,
        ),
        maps.element,
      );
    }
    body.push(this.raw(out, first));
    return h("section", { class: "run-output" }, title, ...body);
  }

  private topList(out: OutputData): HTMLElement {
    const labels = chooseLabels(out.data.length, this.labels.file, this.labels.imagenet);
    const p = predictions(out.data, labels.names, 5);
    const rows = p.rows.map((r, rank) =>
      h(
        "div",
        {
          class: rank === 0 ? "prediction top" : "prediction",
          "data-testid": "prediction",
          "data-class": String(r.index),
          "data-prob": String(r.prob),
          title: `class ${r.index}: output ${formatValue(r.value)}, probability ${formatProb(r.prob)}`,
        },
        h("span", { class: "pred-label" }, r.label === String(r.index) ? `class ${r.index}` : `${r.label}`),
        h("span", { class: "pred-bar" }, fill(r.prob)),
        h("span", { class: "pred-prob" }, formatProb(r.prob)),
        h("span", { class: "pred-index" }, r.label === String(r.index) ? "" : `#${r.index}`),
      ),
    );
    const how =
      p.mode === "softmax" ? "softmax of the outputs" : "the output is already a probability vector";
    const choose = h(
      "a",
      { href: "#", "data-testid": "choose-labels", title: "Pick a text file with one class name per line" },
      "Choose labels…",
    );
    choose.addEventListener("click", (e) => {
      e.preventDefault();
      this.callbacks.chooseLabels();
    });
    return h(
      "div",
      { class: "predictions", "data-testid": "predictions" },
      h("h4", {}, `Top ${p.rows.length} of ${p.classes} classes`),
      ...rows,
      h("p", { class: "note" }, `Probabilities: ${how}.`),
      h(
        "p",
        { class: "note labels-source" },
        "Class names: ",
        h("span", { "data-testid": "labels-source" }, labels.source),
        " · ",
        choose,
      ),
      labels.warning === null
        ? null
        : h("p", { class: "warning-text", "data-testid": "labels-warning" }, labels.warning),
    );
  }

  private raw(out: OutputData, testable: boolean): HTMLElement {
    const count = Math.min(out.data.length, MAX_RAW_VALUES);
    const values = Array.from(out.data.subarray(0, count));
    const shown = values
      .slice(0, SHOWN_RAW_VALUES)
      .map((v) => formatValue(v))
      .join(", ");
    const more = values.length > SHOWN_RAW_VALUES ? ` … (${values.length - SHOWN_RAW_VALUES} more)` : "";
    const attrs: Record<string, string> = { class: "logits" };
    if (testable) {
      attrs["data-testid"] = "logits";
      attrs["data-values"] = JSON.stringify(values);
      attrs["data-run"] = String(this.shown);
    }
    return h(
      "details",
      attrs,
      h(
        "summary",
        {},
        `Raw output values (${out.data.length}${count < out.data.length ? `, first ${count} kept` : ""})`,
      ),
      h("code", { class: "logit-values" }, shown + more),
    );
  }
}

function fill(prob: number): HTMLElement {
  const el = h("span", { class: "pred-fill" });
  el.style.width = `${(prob * 100).toFixed(1)}%`;
  return el;
}

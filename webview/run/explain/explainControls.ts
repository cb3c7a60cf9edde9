/**
 * The Explain view's settings row: method, objective (activation
 * maximisation), class, channel, ascent parameters, colours and overlay
 * opacity. A plain builder: the view keeps the settings and is told of changes.
 */
import { h } from "../../dom";
import { field, select } from "../inputForm";
import { parseParam, type AscentParams } from "./ascent";
import {
  EXPLAIN_METHODS,
  isExplainMethod,
  methodInfo,
  type ExplainMethod,
} from "../../../src/core/explain/methods";
import { classLabel, runUsesClass, type AscentTarget } from "./explainModel";
import type { MapColours } from "./mapMath";

export interface ExplainSettings {
  method: ExplainMethod;
  target: AscentTarget;
  /** null: the predicted class. */
  classChoice: number | null;
  /** As typed; empty = automatic. */
  channelText: string;
  ascent: AscentParams;
  colours: MapColours;
  opacity: number;
}

export interface ControlEvents {
  /** A change that alters which controls are shown (method, objective). */
  rebuild(): void;
  /** A display change (colours, opacity): redraw the result. */
  redraw(): void;
}

/** The class picker offers at most this many classes. */
const MAX_CLASS_OPTIONS = 10_000;

export function explainControls(
  s: ExplainSettings,
  classes: number,
  labels: readonly string[] | null,
  on: ControlEvents,
): HTMLElement[] {
  const info = methodInfo(s.method);
  const method = select(
    "Method",
    EXPLAIN_METHODS.map((m) => [m.id, m.label]),
    s.method,
    (v) => {
      if (!isExplainMethod(v)) return;
      s.method = v;
      s.colours = methodInfo(v).colours;
      on.rebuild();
    },
  );
  method.dataset["testid"] = "explain-method";
  const parts: HTMLElement[] = [field("Method", method)];
  if (info.id === "activationMax") {
    const target = select(
      "Objective",
      [
        ["channel", "a channel's mean (selected layer)"],
        ["class", "a class logit"],
      ],
      s.target,
      (v) => {
        s.target = v === "class" ? "class" : "channel";
        on.rebuild();
      },
    );
    target.dataset["testid"] = "explain-target";
    parts.push(field("Maximise", target));
  }
  if (runUsesClass(s.method, s.target) && classes > 0) {
    const options: [string, string][] = [["", "predicted class"]];
    for (let i = 0; i < Math.min(classes, MAX_CLASS_OPTIONS); i++)
      options.push([String(i), classLabel(i, labels)]);
    const cls = select("Class", options, s.classChoice === null ? "" : String(s.classChoice), (v) => {
      s.classChoice = v === "" ? null : Number(v);
    });
    cls.dataset["testid"] = "explain-class";
    parts.push(field("Class", cls));
  }
  if (info.usesChannel && !(info.id === "activationMax" && s.target === "class")) {
    const auto = info.id === "deconvnet" ? "the strongest" : info.id === "erf" ? "all channels" : "0";
    const ch = h("input", {
      type: "number",
      class: "run-number",
      min: "0",
      step: "1",
      placeholder: "auto",
      "aria-label": "Channel",
      title: `Channel of the layer (empty: ${auto})`,
      "data-testid": "explain-channel",
    });
    ch.value = s.channelText;
    ch.addEventListener("change", () => {
      s.channelText = ch.value;
    });
    parts.push(field("Channel", ch));
  }
  if (info.post === "ascent") parts.push(...ascentFields(s));
  else parts.push(...displayFields(s, on));
  return parts;
}

function ascentFields(s: ExplainSettings): HTMLElement[] {
  const num = (label: string, id: string, value: number, set: (text: string) => void): HTMLElement => {
    const el = h("input", {
      type: "number",
      class: "run-number",
      "aria-label": label,
      "data-testid": id,
      step: "any",
      min: "0",
    });
    el.value = String(value);
    el.addEventListener("change", () => set(el.value));
    return field(label, el);
  };
  const a = s.ascent;
  const set = (patch: Partial<AscentParams>): void => {
    s.ascent = { ...s.ascent, ...patch };
  };
  return [
    num("Steps", "explain-steps", a.steps, (t) => set({ steps: parseParam(t, a.steps, 1, 10_000, true) })),
    num("lr", "explain-lr", a.lr, (t) => set({ lr: parseParam(t, a.lr, 0, 100) })),
    num("Decay", "explain-decay", a.decay, (t) => set({ decay: parseParam(t, a.decay, 0, 1) })),
    num("Blur every", "explain-blur", a.blurEvery, (t) =>
      set({ blurEvery: parseParam(t, a.blurEvery, 0, 10_000, true) }),
    ),
  ];
}

function displayFields(s: ExplainSettings, on: ControlEvents): HTMLElement[] {
  const colours = select(
    "Colours",
    [
      ["signed", "diverging (signed)"],
      ["magnitude", "|value| heat map"],
    ],
    s.colours,
    (v) => {
      s.colours = v === "signed" ? "signed" : "magnitude";
      on.redraw();
    },
  );
  colours.dataset["testid"] = "explain-colours";
  const opacity = h("input", {
    type: "range",
    min: "0",
    max: "1",
    step: "0.05",
    "aria-label": "Overlay opacity",
    title: "How strongly the map covers the input in the overlay",
    "data-testid": "explain-opacity",
    class: "explain-opacity",
  });
  opacity.value = String(s.opacity);
  opacity.addEventListener("input", () => {
    s.opacity = Number(opacity.value);
    on.redraw();
  });
  return [field("Colours", colours), field("Overlay", opacity)];
}

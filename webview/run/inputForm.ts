/**
 * The input column's forms: preprocessing (size, channels, order, normalisation)
 * and token ids (random or typed). Plain builders: the InputView keeps the state
 * and is told about every change.
 */
import { h } from "../dom";
import { parseIds, type InputSpec } from "./inputModel";
import { PRESET_NAMES, PRESETS, presetOf, type Normalisation, type PreprocessOptions } from "./preprocess";

export function numberInput(
  value: number,
  label: string,
  disabled: boolean,
  onInput: (v: number) => void,
): HTMLInputElement {
  const input = h("input", {
    type: "number",
    class: "run-number",
    "aria-label": label,
    title: label,
    min: "1",
    step: "1",
  });
  input.value = String(value);
  input.disabled = disabled;
  input.addEventListener("change", () => {
    const v = Number(input.value);
    if (Number.isFinite(v) && v > 0) onInput(v);
  });
  return input;
}

export function select(
  label: string,
  options: readonly [string, string][],
  value: string,
  onChange: (v: string) => void,
): HTMLSelectElement {
  const el = h("select", { class: "run-select", "aria-label": label, title: label });
  for (const [v, text] of options) el.append(h("option", { value: v }, text));
  el.value = value;
  el.addEventListener("change", () => onChange(el.value));
  return el;
}

export const field = (label: string, ...controls: HTMLElement[]): HTMLElement =>
  h("label", { class: "run-field" }, h("span", { class: "run-field-label" }, label), ...controls);

export interface PreprocessFormCallbacks {
  set(patch: Partial<PreprocessOptions>): void;
  setFrames(frames: number): void;
}

export function preprocessForm(
  spec: InputSpec,
  o: PreprocessOptions,
  frames: number,
  /** Which normalisation a run starts with, and why (preprocess.ts: defaultNormalisation). */
  defaultReason: string,
  cb: PreprocessFormCallbacks,
): HTMLElement {
  const set = (patch: Partial<PreprocessOptions>): void => cb.set(patch);
  const rows: HTMLElement[] = [
    field(
      "Size",
      numberInput(o.height, "Height", spec.height !== null, (v) => set({ height: Math.round(v) })),
      h("span", {}, "×"),
      numberInput(o.width, "Width", spec.width !== null, (v) => set({ width: Math.round(v) })),
    ),
  ];
  if (spec.frames === null && spec.decl.shape.length === 5)
    rows.push(
      field(
        "Frames",
        numberInput(frames, "Frames", false, (v) => cb.setFrames(Math.round(v))),
      ),
    );
  const channels = select(
    "Channels",
    [
      ["1", "1 (grey)"],
      ["3", "3 (colour)"],
    ],
    String(o.channels),
    (v) => set({ channels: v === "1" ? 1 : 3 }),
  );
  channels.disabled = spec.channels !== null;
  rows.push(field("Channels", channels));
  if (o.channels === 3)
    rows.push(
      field(
        "Order",
        select(
          "Channel order",
          [
            ["RGB", "RGB"],
            ["BGR", "BGR"],
          ],
          o.order,
          (v) => set({ order: v === "BGR" ? "BGR" : "RGB" }),
        ),
      ),
    );
  const preset = presetOf(o.norm);
  const presetOptions: [string, string][] = PRESET_NAMES.map((p) => [
    p,
    p === "[0,1]" ? "[0,1]  (pixel / 255)" : p === "ImageNet" ? "ImageNet mean/std" : p,
  ]);
  if (preset === null) presetOptions.push(["custom", "custom"]);
  const presetSelect = select("Normalisation", presetOptions, preset ?? "custom", (v) => {
    if (v in PRESETS) set({ norm: PRESETS[v as keyof typeof PRESETS] });
  });
  presetSelect.dataset["testid"] = "norm-preset";
  rows.push(field("Normalise", presetSelect));
  const triple = (key: "mean" | "std"): HTMLElement[] =>
    o.norm[key].map((v, i) => {
      const input = h("input", {
        type: "number",
        class: "run-number small",
        step: "0.001",
        "aria-label": `${key} ${"RGB"[i]}`,
        title: `${key} of ${"RGB"[i]}`,
      });
      input.value = String(v);
      input.addEventListener("change", () => {
        const x = Number(input.value);
        if (!Number.isFinite(x) || (key === "std" && x === 0)) return;
        const next = [...o.norm[key]] as [number, number, number];
        next[i] = x;
        if (o.channels === 1) next.fill(x);
        set({ norm: { ...o.norm, [key]: next } as Normalisation });
      });
      return input;
    });
  const count = o.channels === 1 ? 1 : 3;
  rows.push(field("Mean", ...triple("mean").slice(0, count)), field("Std", ...triple("std").slice(0, count)));
  rows.push(
    h("p", { class: "note" }, `value = (pixel × ${o.norm.scale === 1 ? "1" : "1/255"} − mean) / std`),
    h("p", { class: "note", "data-testid": "norm-default" }, defaultReason),
  );
  return h("details", { class: "preprocess", open: "" }, h("summary", {}, "Preprocessing"), ...rows);
}

export interface TokenFormCallbacks {
  setMode(mode: "randomIds" | "typedIds"): void;
  setLength(length: number): void;
  newIds(): void;
  /** The typed text changed; `commit` when the user left the field (run again). */
  typed(text: string, commit: boolean): void;
}

export function tokenControls(
  spec: InputSpec,
  mode: "randomIds" | "typedIds",
  length: number,
  idsText: string,
  cb: TokenFormCallbacks,
): HTMLElement[] {
  const modeSelect = select(
    "Token ids",
    [
      ["randomIds", "Random ids (0–999)"],
      ["typedIds", "Typed ids"],
    ],
    mode,
    (v) => cb.setMode(v === "typedIds" ? "typedIds" : "randomIds"),
  );
  const out: HTMLElement[] = [h("div", { class: "run-row" }, modeSelect)];
  if (spec.length === null)
    out.push(
      field(
        "Length",
        numberInput(length, "Sequence length", false, (v) => cb.setLength(Math.round(v))),
      ),
    );
  if (mode === "randomIds") {
    const again = h("vscode-button", { secondary: "" }, "New ids");
    again.addEventListener("click", () => cb.newIds());
    out.push(again, h("p", { class: "note ids" }, idsText));
  } else {
    const area = h("textarea", {
      class: "ids-text",
      rows: "4",
      "aria-label": "Token ids",
      "data-testid": "token-ids",
      spellcheck: "false",
    });
    area.value = idsText;
    const status = h("p", { class: "note" });
    const check = (): void => {
      const r = parseIds(area.value, spec.length);
      status.textContent = "error" in r ? r.error : (r.note ?? `${r.ids.length} ids`);
      status.classList.toggle("warning-text", "error" in r);
    };
    area.addEventListener("input", () => {
      cb.typed(area.value, false);
      check();
    });
    area.addEventListener("change", () => cb.typed(area.value, true));
    check();
    out.push(area, status);
  }
  out.push(
    h("p", { class: "note" }, "The vocabulary size is not in the file: random ids are drawn from 0–999."),
  );
  return out;
}

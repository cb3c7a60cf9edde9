/**
 * The Run tab's input column: where the input comes from (a sample image, an
 * image picked from the workspace, noise, the drawing pad, token ids), the
 * preprocessing (size, channels, order, normalisation; editable), and a picture
 * of what the model receives. `feed()` builds the tensor for a run.
 */
import type { RuntimeInfo } from "../../src/protocol/messages";
import { h } from "../dom";
import { canvasPixels, decodeImage, rgbaCanvas, saveButton, upscaled, saveScale } from "./canvasKit";
import { DrawPad } from "./drawPad";
import { preprocessForm, select, tokenControls } from "./inputForm";
import type { FeedData } from "./engine";
import type { PickedImage } from "./runModel";
import {
  concreteShape,
  DEFAULT_IMAGE_SIZE,
  DEFAULT_TOKEN_LENGTH,
  describeInput,
  elementCount,
  idsTensorData,
  parseIds,
  randomIds,
  type InputDecl,
  type InputSpec,
} from "./inputModel";
import { valueRange } from "../../src/core/ir/tensorData";
import {
  defaultNormalisation,
  noiseImage,
  PRESETS,
  type DefaultNormalisation,
  isGrey,
  previewRgba,
  repeatFrames,
  resizeRgba,
  toTensor,
  type PreprocessOptions,
  type RgbaImage,
} from "./preprocess";
import { pickSample, pngName, shapeText, type SampleInfo } from "./runModel";
import { formatValue } from "./tensorLayout";

export interface InputCallbacks {
  /** The input or its preprocessing changed (the panel re-runs if it has run before). */
  onChange(): void;
  pickImage(): Promise<PickedImage>;
  save(name: string, dataUrl: string): void;
  error(message: string): void;
}

type Source = "noise" | "draw" | "randomIds" | "typedIds" | `image:${string}`;

export class InputView {
  readonly element: HTMLElement;
  readonly spec: InputSpec;
  private source: Source;
  private opts: PreprocessOptions;
  private frames: number;
  private tokenLength: number;
  private noiseSeed = 1;
  private idsSeed = 1;
  private idsText = "";
  private readonly images: { name: string; uri: string }[];
  private readonly decoded = new Map<string, Promise<RgbaImage>>();
  private readonly body: HTMLElement;
  private readonly preview: HTMLElement;
  private pad: DrawPad | null = null;
  private previewToken = 0;
  private readonly defaultNorm: DefaultNormalisation;

  constructor(
    decl: InputDecl,
    samples: RuntimeInfo["samples"],
    private readonly modelName: string,
    private readonly callbacks: InputCallbacks,
    /** The file's own input when `decl` is it fed channels first (a channels-last model). */
    stated?: {
      readonly name: string;
      readonly dtype: string;
      readonly shape: readonly (number | string)[] | null;
    },
  ) {
    this.spec = describeInput(decl);
    this.images = samples.map((s) => ({ name: s.name, uri: s.uri }));
    const side = this.spec.height ?? this.spec.width ?? DEFAULT_IMAGE_SIZE;
    const [width, height] = [this.spec.width ?? side, this.spec.height ?? side];
    const channels = this.spec.channels === 1 ? 1 : 3;
    this.defaultNorm = defaultNormalisation(channels, height, width);
    this.opts = { width, height, channels, order: "RGB", norm: PRESETS[this.defaultNorm.preset] };
    this.frames = this.spec.frames ?? 16;
    this.tokenLength = this.spec.length ?? DEFAULT_TOKEN_LENGTH;
    this.idsText = randomIds(this.tokenLength, this.idsSeed).join(", ");
    const first = this.images[0];
    this.source =
      this.spec.kind === "tokens"
        ? "randomIds"
        : this.spec.kind === "image" && first !== undefined
          ? `image:${first.uri}`
          : "noise";
    this.body = h("div", { class: "run-input-body" });
    this.preview = h("figure", { class: "input-preview", "data-testid": "input-preview" });
    this.element = h(
      "section",
      { class: "run-input", "aria-label": "Input" },
      h("h3", {}, "Input"),
      h(
        "div",
        { class: "input-decl", title: "The model's first input" },
        stated === undefined
          ? `${decl.name}: ${shapeText(decl.shape)} ${decl.dtype}`
          : `${stated.name}: ${shapeText(stated.shape ?? [])} ${stated.dtype}, channels last: fed as ` +
              `${shapeText(decl.shape)} and transposed in`,
      ),
      this.body,
      this.preview,
    );
    this.render();
  }

  private defaultChoice: Promise<void> | null = null;

  /** Picks the sample that fits the model best (decodes the samples once; later calls wait for the first). */
  chooseDefault(): Promise<void> {
    this.defaultChoice ??= this.pickDefault();
    return this.defaultChoice;
  }

  private async pickDefault(): Promise<void> {
    if (this.spec.kind !== "image" || this.images.length === 0) return;
    const infos: SampleInfo[] = [];
    for (const s of this.images) {
      try {
        const img = await this.image(s.uri);
        infos.push({ ...s, width: img.width, height: img.height, grey: isGrey(img) });
      } catch {
        // An unreadable sample is just not offered as the default.
      }
    }
    const best = pickSample(infos, this.spec);
    if (best !== null && this.source === `image:${this.images[0]?.uri}`) {
      this.source = `image:${best.uri}`;
      this.render();
    }
  }

  /** Use an image (picked in the workspace, or sent by a palette command). */
  useImage(image: PickedImage): void {
    if (!this.images.some((i) => i.uri === image.uri)) this.images.push(image);
    this.source = `image:${image.uri}`;
    this.render();
    this.callbacks.onChange();
  }

  /** The BGR switch matters to the filter view (RGB patches). */
  get bgr(): boolean {
    return this.opts.order === "BGR";
  }

  /** The tensor for `decl` (the runnable's input of this name). Throws a user-facing Error. */
  async feed(decl: InputDecl): Promise<FeedData> {
    if (this.spec.kind === "tokens") {
      const parsed =
        this.source === "typedIds"
          ? parseIds(this.idsText, this.spec.length)
          : { ids: randomIds(this.tokenLength, this.idsSeed), note: null };
      if ("error" in parsed) throw new Error(parsed.error);
      const dims = concreteShape(decl, [parsed.ids.length]);
      if (dims.length === 2) dims[1] = parsed.ids.length;
      const ids = Array.from(
        { length: elementCount(dims) },
        (_, i) => parsed.ids[i % parsed.ids.length] ?? 0,
      );
      return {
        dtype: decl.dtype === "int32" ? "int32" : "int64",
        data: idsTensorData(ids, decl.dtype),
        dims,
      };
    }
    if (this.spec.kind === "tensor") {
      const dims = concreteShape(decl);
      const img = noiseImage(elementCount(dims), 1, this.noiseSeed);
      const data = Float32Array.from({ length: elementCount(dims) }, (_, i) => img.data[i * 4]! / 255);
      return { dtype: "float32", data, dims };
    }
    await this.chooseDefault();
    const { tensor } = await this.imageTensor();
    const { channels, height, width } = this.opts;
    const r5 = decl.shape.length === 5;
    const batch = typeof decl.shape[0] === "number" && decl.shape[0] > 1 ? decl.shape[0] : 1;
    const one = r5 ? repeatFrames(tensor, channels, this.frames) : tensor;
    const data = new Float32Array(one.length * batch);
    for (let b = 0; b < batch; b++) data.set(one, b * one.length);
    const dims = r5 ? [batch, channels, this.frames, height, width] : [batch, channels, height, width];
    return { dtype: "float32", data, dims };
  }

  /** Zeros for a further input the UI does not fill. */
  static zeros(decl: InputDecl): FeedData {
    const dims = concreteShape(decl);
    const n = elementCount(dims);
    if (decl.dtype === "int64") return { dtype: "int64", data: new BigInt64Array(n), dims };
    if (decl.dtype === "int32") return { dtype: "int32", data: new Int32Array(n), dims };
    return { dtype: "float32", data: new Float32Array(n), dims };
  }

  private image(uri: string): Promise<RgbaImage> {
    let p = this.decoded.get(uri);
    if (p === undefined) {
      p = decodeImage(uri);
      this.decoded.set(uri, p);
      p.catch(() => this.decoded.delete(uri));
    }
    return p;
  }

  private async baseImage(): Promise<RgbaImage> {
    const { width, height } = this.opts;
    if (this.source === "noise") return noiseImage(width, height, this.noiseSeed);
    if (this.source === "draw" && this.pad !== null) return canvasPixels(this.pad.canvas);
    if (this.source.startsWith("image:")) return this.image(this.source.slice("image:".length));
    return noiseImage(width, height, this.noiseSeed);
  }

  private async imageTensor(): Promise<{ tensor: Float32Array; shown: RgbaImage }> {
    const resized = resizeRgba(await this.baseImage(), this.opts.width, this.opts.height);
    return { tensor: toTensor(resized, this.opts), shown: previewRgba(resized, this.opts.channels) };
  }

  private changed(rerender = true): void {
    if (rerender) this.render();
    else void this.updatePreview();
    this.callbacks.onChange();
  }

  private render(): void {
    const controls: HTMLElement[] = [];
    if (this.spec.kind === "image") controls.push(...this.imageControls());
    else if (this.spec.kind === "tokens") controls.push(...this.tokenControls());
    else {
      const again = h("vscode-button", { secondary: "", title: "Draw new random values" }, "New noise");
      again.addEventListener("click", () => {
        this.noiseSeed++;
        this.changed(false);
      });
      controls.push(
        h("p", { class: "note" }, "Not an image input: filled with uniform noise in [0, 1)."),
        again,
      );
    }
    this.body.replaceChildren(...controls);
    void this.updatePreview();
  }

  private imageControls(): HTMLElement[] {
    const options: [string, string][] = this.images.map((i) => [`image:${i.uri}`, i.name]);
    options.push(["noise", "Random noise"], ["draw", "Draw…"]);
    const source = select("Input source", options, this.source, (v) => {
      this.source = v as Source;
      this.changed();
    });
    source.dataset["testid"] = "input-source";
    const choose = h(
      "vscode-button",
      { secondary: "", title: "Pick a PNG or JPEG from the workspace", "data-testid": "choose-image" },
      "Choose image…",
    );
    choose.addEventListener("click", () => {
      this.callbacks.pickImage().then(
        (img) => this.useImage(img),
        (err: unknown) => this.callbacks.error(err instanceof Error ? err.message : String(err)),
      );
    });
    const out: HTMLElement[] = [h("div", { class: "run-row" }, source, choose)];
    if (this.source === "noise") {
      const again = h("vscode-button", { secondary: "" }, "New noise");
      again.addEventListener("click", () => {
        this.noiseSeed++;
        this.changed(false);
      });
      out.push(again);
    }
    if (this.source === "draw") {
      this.pad ??= new DrawPad(() => this.changed(false));
      out.push(this.pad.element);
    }
    out.push(this.preprocessForm());
    return out;
  }

  private preprocessForm(): HTMLElement {
    return preprocessForm(this.spec, this.opts, this.frames, this.defaultNorm.reason, {
      set: (patch) => {
        this.opts = { ...this.opts, ...patch };
        this.changed();
      },
      setFrames: (n) => {
        this.frames = n;
        this.changed();
      },
    });
  }

  private tokenControls(): HTMLElement[] {
    return tokenControls(
      this.spec,
      this.source === "typedIds" ? "typedIds" : "randomIds",
      this.tokenLength,
      this.idsText,
      {
        setMode: (mode) => {
          this.source = mode;
          this.changed();
        },
        setLength: (n) => {
          this.tokenLength = n;
          this.idsText = randomIds(n, this.idsSeed).join(", ");
          this.changed();
        },
        newIds: () => {
          this.idsSeed++;
          this.idsText = randomIds(this.tokenLength, this.idsSeed).join(", ");
          this.changed();
        },
        typed: (text, commit) => {
          this.idsText = text;
          if (commit) this.callbacks.onChange();
        },
      },
    );
  }

  private async updatePreview(): Promise<void> {
    if (this.spec.kind !== "image") {
      this.preview.replaceChildren();
      return;
    }
    const token = ++this.previewToken;
    try {
      const { tensor, shown } = await this.imageTensor();
      if (token !== this.previewToken) return;
      const scale = Math.max(1, Math.floor(128 / Math.max(shown.width, shown.height)));
      const canvas = rgbaCanvas(shown.data as Uint8ClampedArray, shown.width, shown.height, scale, {
        "data-testid": "input-canvas",
      });
      if (shown.width * scale > 224) canvas.style.width = "224px";
      canvas.style.height = "auto";
      const [lo, hi] = valueRange(tensor);
      const name = (): string => pngName(this.modelName, "input");
      this.preview.replaceChildren(
        canvas,
        h(
          "figcaption",
          {},
          `model input ${this.opts.channels}×${this.opts.height}×${this.opts.width}, values [${formatValue(lo)}, ${formatValue(hi)}]`,
        ),
        saveButton(name, () => upscaled(canvas, saveScale(canvas.width, canvas.height)), this.callbacks.save),
      );
    } catch (err) {
      if (token !== this.previewToken) return;
      this.preview.replaceChildren(
        h(
          "p",
          { class: "warning-text" },
          `Could not read the image: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
    }
  }
}

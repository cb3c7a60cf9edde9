/**
 * The explanation methods, one entry each: what is differentiated (its target), how
 * rectifiers pass the gradient, what the map becomes afterwards, and what inputs it runs
 * on. The CLI (`convlens explain`), the host (which builds the backward graphs) and the
 * webview (controls, runner) all read this table, so adding a method is one entry here
 * plus its graph in `explainGraph` when it needs a new target.
 */
import type { LayerRow } from "../analysis/result";
import { inputLayout } from "../ir/layout";
import type { Dim, Model, ValueInfo } from "../ir/types";
import { ModelError } from "../ir/types";
import { buildGradCam, buildInputGradient, lastSpatialValue, type BackwardGraph } from "../onnx/backward";
import type { Rectification } from "../onnx/backwardRuleKit";
import { channelsFirstView, toFirstPerm } from "../onnx/channelsFirst";

/** What the backward pass starts from. */
export type MethodTarget =
  /** A class logit (the predicted class unless one is chosen). */
  | "class"
  /** The strongest unit of a layer, or of one of its channels (Zeiler & Fergus). */
  | "maxUnit"
  /** The layer's centre unit, all channels or one (Luo et al.). */
  | "centreUnit"
  /** A channel's mean of a layer when a layer and channel are chosen, else a class logit. */
  | "channelOrClass"
  /** ½‖A‖² of a layer (Deep Dream). */
  | "energy";

/** What becomes of the backward pass's output. */
export type PostProcess =
  /** The input gradient is the map. */
  | "none"
  /** ReLU(Σ_k mean(∂logit/∂A_k) · A_k) at the layer (in the graph), upsampled to the input for display. */
  | "gradcam"
  /** Guided backprop times the Grad-CAM map upsampled to the input (combined by the webview). */
  | "guidedTimesGradcam"
  /** Mean |gradient| over ERF_SAMPLES random inputs (`erfMean`). */
  | "meanAbsOverRandomInputs"
  /** Gradient ascent steps on the input. */
  | "ascent";

export interface ExplainMethodInfo {
  readonly id: string;
  readonly label: string;
  readonly help: string;
  readonly target: MethodTarget;
  /** How ReLU-like layers pass the gradient back. */
  readonly rectification: Extract<Rectification, "saliency" | "guided" | "deconvnet">;
  readonly post: PostProcess;
  /**
   * "image": the current input; "random": ERF_SAMPLES uniform inputs over its value range; "ascent": noise or
   * the image, stepped.
   */
  readonly inputs: "image" | "random" | "ascent";
  /** Needs a layer: "spatial" = with spatial units; "any"; "none". */
  readonly layer: "spatial" | "any" | "none";
  readonly usesClass: boolean;
  readonly usesChannel: boolean;
  /** The colours a map of this method is first shown in. */
  readonly colours: "magnitude" | "signed";
  /** Offered by `convlens explain` (one graph, no interaction). */
  readonly cli: boolean;
}

export const EXPLAIN_METHODS = [
  {
    id: "saliency",
    label: "Saliency",
    help: "Gradient of the class logit with respect to the input (Simonyan et al.).",
    target: "class",
    rectification: "saliency",
    post: "none",
    inputs: "image",
    layer: "none",
    usesClass: true,
    usesChannel: false,
    colours: "magnitude",
    cli: true,
  },
  {
    id: "guided",
    label: "Guided backprop",
    help: "Gradient with ReLUs passing only positive gradients of positive inputs (Springenberg et al.).",
    target: "class",
    rectification: "guided",
    post: "none",
    inputs: "image",
    layer: "none",
    usesClass: true,
    usesChannel: false,
    colours: "signed",
    cli: true,
  },
  {
    id: "gradcam",
    label: "Grad-CAM",
    help: "ReLU of the layer's channels weighted by their mean gradient (Selvaraju et al.), upsampled to the input.",
    target: "class",
    rectification: "saliency",
    post: "gradcam",
    inputs: "image",
    layer: "spatial",
    usesClass: true,
    usesChannel: false,
    colours: "magnitude",
    cli: true,
  },
  {
    id: "guidedGradcam",
    label: "Guided Grad-CAM",
    help: "Guided backprop times the Grad-CAM map upsampled to the input size.",
    target: "class",
    rectification: "guided",
    post: "guidedTimesGradcam",
    inputs: "image",
    layer: "spatial",
    usesClass: true,
    usesChannel: false,
    colours: "signed",
    cli: false,
  },
  {
    id: "deconvnet",
    label: "Deconvnet",
    help: "Zeiler & Fergus: the strongest unit of a channel projected back to the input.",
    target: "maxUnit",
    rectification: "deconvnet",
    post: "none",
    inputs: "image",
    layer: "spatial",
    usesClass: false,
    usesChannel: true,
    colours: "signed",
    cli: true,
  },
  {
    id: "erf",
    label: "Effective receptive field",
    help: "Mean |gradient| of the layer's centre unit over 8 random inputs (Luo et al.), against the theoretical field.",
    target: "centreUnit",
    rectification: "saliency",
    post: "meanAbsOverRandomInputs",
    inputs: "random",
    layer: "spatial",
    usesClass: false,
    usesChannel: true,
    colours: "magnitude",
    cli: true,
  },
  {
    id: "activationMax",
    label: "Activation maximisation",
    help: "Gradient ascent on the input for a channel's mean activation or a class logit.",
    target: "channelOrClass",
    rectification: "saliency",
    post: "ascent",
    inputs: "ascent",
    layer: "any",
    usesClass: true,
    usesChannel: true,
    colours: "signed",
    cli: false,
  },
  {
    id: "deepDream",
    label: "Deep Dream",
    help: "Gradient ascent from the current image on the layer's energy ½‖A‖².",
    target: "energy",
    rectification: "saliency",
    post: "ascent",
    inputs: "ascent",
    layer: "any",
    usesClass: false,
    usesChannel: false,
    colours: "signed",
    cli: false,
  },
] as const satisfies readonly ExplainMethodInfo[];

type Entry = (typeof EXPLAIN_METHODS)[number];
export type ExplainMethod = Entry["id"];
/** Methods the host builds one backward graph for (Guided Grad-CAM combines two of them). */
export type GraphMethod = Exclude<Entry, { post: "guidedTimesGradcam" }>["id"];
/** Methods `convlens explain` offers. */
export type CliMethod = Extract<Entry, { cli: true }>["id"];

export const CLI_METHODS: readonly CliMethod[] = EXPLAIN_METHODS.filter(
  (m): m is Extract<Entry, { cli: true }> => m.cli,
).map((m) => m.id);

export function methodInfo(id: ExplainMethod): ExplainMethodInfo {
  return EXPLAIN_METHODS.find((m) => m.id === id) ?? EXPLAIN_METHODS[0];
}

export function isExplainMethod(v: string): v is ExplainMethod {
  return EXPLAIN_METHODS.some((m) => m.id === v);
}

export function isCliMethod(v: string): v is CliMethod {
  return (CLI_METHODS as readonly string[]).includes(v);
}

export interface GraphRequest {
  readonly method: GraphMethod;
  /** The chosen layer (an index into the analysis' layers); absent: the last layer with spatial units. */
  readonly layerIndex?: number;
  readonly channel?: number;
  readonly classIndex: number;
  /**
   * The class or channel is fed at run time where the method allows it (seedIsFed): the graph
   * then serves every class or channel, and `classIndex` / `channel` are not used.
   */
  readonly fedSeed?: boolean;
  /**
   * A largest-unit graph with a fed channel also outputs the layer's activations (`layerOutput`),
   * so that its runner picks the unit without a forward graph of its own (a channels-last model's
   * channels-first copy: the runner reads the channel on axis 1).
   */
  readonly exposeLayer?: boolean;
}

/** Methods whose class or largest-unit channel can be fed at run time: one graph per layer serves all. */
export function seedIsFed(method: GraphMethod): boolean {
  const target = methodInfo(method).target;
  return target === "class" || target === "maxUnit";
}

/**
 * The value a layer's graph is built at: a layer of several nodes (Linear as MatMul + Add,
 * a module applied twice) is represented by its last row's output.
 */
export function layerValue(model: Model, layers: readonly LayerRow[], layer: LayerRow | undefined): string {
  if (layer === undefined) return lastSpatialValue(model);
  const rows = layers.filter((l) => l.name === layer.name);
  const value = rows[rows.length - 1]?.outputs[0]?.name ?? layer.outputs[0]?.name;
  if (value === undefined) throw new ModelError(`${layer.name} has no output`);
  return value;
}

/**
 * A method's backward graph; `layerValue` names the value it was built at, if any, and
 * `layerOutput` the graph output that carries it (GraphRequest.exposeLayer).
 */
export interface ExplainGraph extends BackwardGraph {
  readonly layerValue?: string;
  readonly layerOutput?: string;
}

/** The backward graph of one method: what the CLI runs and what the host hands the webview. */
export function explainGraph(model: Model, layers: readonly LayerRow[], req: GraphRequest): ExplainGraph {
  let used: string | undefined;
  const layer = req.layerIndex !== undefined ? layers[req.layerIndex] : undefined;
  if (req.layerIndex !== undefined && layer === undefined) throw new ModelError(`no layer ${req.layerIndex}`);
  const refused = explainWhyNot(model);
  if (refused !== null) throw new ModelError(refused);
  const at = (): LayerAt => {
    const v = layerValue(model, layers, layer);
    const a = layerAt(model, layers, v);
    used = a.value;
    return a;
  };
  // A channels-last model is explained through the Run tab's wrapper: its image is fed channels first.
  const g = graphOf(channelsFirstView(model, []).model, req, at);
  if (used === undefined) return g;
  const exposed =
    req.exposeLayer === true &&
    methodInfo(req.method).target === "maxUnit" &&
    g.seedInput?.kind === "channelMask";
  if (!exposed) return { ...g, layerValue: used };
  const info = layers.flatMap((l) => l.outputs).find((o) => o.name === used);
  return withOutput(
    { ...g, layerValue: used },
    { name: used, dtype: info?.dtype ?? "float32", shape: undefined },
  );
}

/** The graph a layer's method is built on, the value it reads (channels first) and that value's shape. */
interface LayerAt {
  readonly model: Model;
  readonly value: string;
  readonly shape: readonly Dim[];
}

/**
 * Layer value `v` as the backward graphs read it, channels on axis 1: as it is in a channels-first model,
 * else its channels-first copy in the Run tab's wrapper; a value whose channel axis is not known is refused.
 */
function layerAt(model: Model, layers: readonly LayerRow[], v: string): LayerAt {
  const shape = layers.flatMap((l) => l.outputs).find((o) => o.name === v)?.shape ?? [];
  const view = channelsFirstView(model, [{ name: v, rank: shape.length }]);
  const why = view.notDrawn.get(v);
  if (why !== undefined) throw new ModelError(`Explain is not available at this layer: ${why}`);
  const copy = view.copies.get(v);
  if (copy === undefined) return { model: view.model, value: v, shape };
  return { model: view.model, value: copy, shape: toFirstPerm(shape.length).map((i) => shape[i] ?? 1) };
}

/**
 * Why no method explains this model, or null: a model (a Keras model mixing data formats) whose image
 * input's channel axis is not known, since the Run tab would feed its image in a guessed layout. A
 * channels-last model (TFLite, Keras: N, H, W, C) is explained through the Run tab's channels-first
 * wrapper (core/onnx/channelsFirst): its image fed channels first, its layers read at their channels-first
 * copies, so Grad-CAM, deconvnet and the drawn maps find the channels on axis 1.
 */
export function explainWhyNot(model: Model): string | null {
  const unknown = model.graph.inputs.find(
    (i) =>
      (i.shape?.length ?? 0) >= 3 && i.dtype.startsWith("float") && inputLayout(model, i.name) === undefined,
  );
  return unknown
    ? `Explain is not available: input "${unknown.name}" has no known channel axis (its layers read it both ` +
        "channels first and channels last)"
    : null;
}

/** `g` with `value` among its outputs as well (the same value, not a copy, when it is one already). */
function withOutput(g: ExplainGraph, value: ValueInfo): ExplainGraph {
  const outputs = g.model.graph.outputs;
  if (outputs.some((o) => o.name === value.name)) return { ...g, layerOutput: value.name };
  const graph = { ...g.model.graph, outputs: [...outputs, value] };
  return { ...g, model: { ...g.model, graph }, layerOutput: value.name };
}

/** `model`: the graph of the methods at the input; `at`: the graph and value of a method at a layer. */
function graphOf(model: Model, req: GraphRequest, at: () => LayerAt): BackwardGraph {
  const info = methodInfo(req.method);
  const fed = { fedSeed: req.fedSeed === true && seedIsFed(req.method) };
  const channel = req.channel !== undefined && !fed.fedSeed ? { channel: req.channel } : {};
  const classTarget = { kind: "class", index: req.classIndex } as const;
  switch (info.target) {
    case "class": {
      if (info.post !== "gradcam") return buildInputGradient(model, info.rectification, classTarget, fed);
      const a = at();
      return buildGradCam(a.model, a.value, req.classIndex, fed);
    }
    case "maxUnit": {
      const a = at();
      return buildInputGradient(
        a.model,
        info.rectification,
        { kind: "maxUnit", value: a.value, ...channel },
        fed,
      );
    }
    case "centreUnit": {
      const a = at();
      const position = a.shape.slice(2).map((d) => Math.floor((typeof d === "number" ? d : 1) / 2));
      return buildInputGradient(a.model, info.rectification, {
        kind: "unit",
        value: a.value,
        position,
        ...channel,
      });
    }
    case "channelOrClass": {
      if (req.channel === undefined || req.layerIndex === undefined)
        return buildInputGradient(model, info.rectification, classTarget);
      const a = at();
      return buildInputGradient(a.model, info.rectification, {
        kind: "channelMean",
        value: a.value,
        channel: req.channel,
      });
    }
    case "energy": {
      const a = at();
      return buildInputGradient(a.model, info.rectification, { kind: "energy", value: a.value });
    }
  }
}

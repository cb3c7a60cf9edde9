/**
 * Models as a script builds them: `model = Net(num_classes=10)`, `net = models.resnet50()`,
 * `m = build_model(cfg)` anywhere in the file (module level, `main()`, `if __name__ == …`), and
 * the input the script gives them — `model(torch.randn(4, 3, 32, 32))`, `model.forward(x)`,
 * `torchinfo.summary(model, input_size=…)`, `torch.onnx.export(model, dummy, …)`. Recorded
 * while the file runs; each instance is then traced like a class, with the arguments it was
 * built with.
 */
import type { Span } from "./ast";
import { isForeignSpan } from "./moduleLoader";
import type { DType, Dim } from "../../ir/types";
import type { PyObject, PyValue } from "./values";

/** One tensor argument of the recorded call: positional (name undefined) or keyword. */
export interface RecordedArg {
  readonly name?: string;
  readonly shape: Dim[];
  readonly dtype: DType;
  /** Set when the tensor is a batch of a DataLoader (torchData.ts): what it holds. */
  readonly origin?: string;
}

export interface RecordedInput {
  readonly args: readonly RecordedArg[];
  /** The call that gave it (`model(x)`, `summary(model, …)`): the hover says so. */
  readonly span: Span;
}

export interface ModelInstance {
  readonly obj: PyObject;
  /** The call in the user's file that built it. */
  readonly span: Span;
  input?: RecordedInput;
  /** Calls of the model in the file (hovers show input → output there). */
  readonly calls: Span[];
}

export class InstanceRecorder {
  readonly instances: ModelInstance[] = [];
  /** Calls on tensors of something that could not be built (`model(x)` after a failed `model = …`). */
  readonly failed: { readonly span: Span; readonly reason: string; readonly args: RecordedArg[] }[] = [];
  /** True while the user's file runs (not while classes are traced afterwards). */
  recording = false;
  /** Batches of the script's DataLoaders, by IR value: what each holds (torchData.ts). */
  readonly origins = new Map<string, string>();
  /** The user's file (to find the variable a model is assigned to). */
  source = "";

  /**
   * A module built while no other module was being built: a model. A built-in layer only where
   * the script assigns it itself (`model = nn.Conv2d(3, 8, 3)`, not `[nn.Conv2d(…)]`); whether it
   * stays one is settled when the script has run (settleBareLayers). Other torch.nn classes
   * (containers, losses, classes without an entry) are not models.
   */
  constructed(obj: PyValue, callSpans: readonly Span[]): void {
    if (!this.recording || obj.t !== "object" || !obj.children) return;
    if (obj.cls.nn && obj.cls.nn !== "Sequential" && !obj.leaf) return;
    // The innermost call in the user's file that is assigned to a name (`net = build(cfg)`, not
    // the builder's `return MaskedNet(…)`; `model = resnet50()`, not the library's `ResNet(…)`).
    const own = [...callSpans].reverse().filter((s) => !isForeignSpan(s));
    if (obj.leaf && !(own[0] && assignedName(this.source, own[0]))) return;
    const span = own.find((s) => assignedName(this.source, s)) ?? own[0];
    if (!span || this.find(obj)) return;
    // A library builder makes parts before the model (`VGG(make_layers(cfg))`, a backbone that
    // IntermediateLayerGetter copies): what one line of the script built last is its model.
    const i = this.instances.findIndex((o) => o.span.from === span.from && o.span.to === span.to);
    if (i >= 0) this.instances.splice(i, 1);
    this.instances.push({ obj, span, calls: [] });
  }

  /** An unknown value called on a tensor while the script runs: a model we could not build. */
  unknownCalled(reason: string, args: readonly PyValue[], span: Span): void {
    if (!this.recording || isForeignSpan(span) || !args.some((a) => a.t === "tensor")) return;
    // A torch function the table lacks (a loss: F.nll_loss(output, target)) is not a model.
    if (/^torch(\.\w+)* is not known$/.test(reason)) return;
    // Its tensor arguments are the input PyTorch is given when "Check with PyTorch" runs it.
    const tensors = args.flatMap((a) => tensorArg(a) ?? []);
    if (!this.failed.some((f) => f.reason === reason)) this.failed.push({ span, reason, args: tensors });
  }

  /**
   * A bare built-in layer the script built is a model of its own when it is no part of another
   * model, and the file has no other model (classes of its own: `otherModels`) or gives the layer
   * a tensor itself (`y = conv(x)`); otherwise it is a helper (`softmax = nn.Softmax(dim=1)`).
   */
  settleBareLayers(otherModels: boolean): void {
    const models = this.instances.filter((i) => !i.obj.leaf);
    const others = otherModels || models.length > 0;
    const kept = this.instances.filter(
      (i) =>
        !i.obj.leaf ||
        (!this.instances.some((o) => o !== i && contains(o.obj, i.obj)) && (!others || i.input)),
    );
    this.instances.splice(0, this.instances.length, ...kept);
  }

  find(obj: PyValue): ModelInstance | undefined {
    return obj.t === "object" ? this.instances.find((i) => i.obj === obj) : undefined;
  }

  /**
   * A recorded model given tensors outside a trace: the first such call is its input. Returns
   * whether the call was the model's (it is then traced separately, not run here).
   */
  called(obj: PyValue, args: readonly PyValue[], kwargs: ReadonlyMap<string, PyValue>, span: Span): boolean {
    const inst = this.find(obj);
    if (!inst) return false;
    if (!isForeignSpan(span)) inst.calls.push(span);
    // A bare layer's call runs as any layer's would (settleBareLayers may find it a helper).
    const ours = !inst.obj.leaf;
    // A tensor the code makes (`model(torch.randn(…))`) states the input over a loader's batch.
    if (inst.input && !inst.input.args.every((x) => x.origin)) return ours;
    const recorded: RecordedArg[] = [];
    for (const v of args) {
      const t = tensorArg(v, this.origins);
      if (!t) return ours;
      recorded.push(t);
    }
    for (const [name, v] of kwargs) {
      const t = tensorArg(v, this.origins);
      if (t) recorded.push({ name, ...t });
    }
    if (recorded.length > 0 && (!inst.input || !recorded.every((x) => x.origin)))
      inst.input = { args: recorded, span };
    return ours;
  }

  /** An input given as shapes (`torchinfo.summary(model, input_size=…)`): kept unless one came first. */
  given(obj: PyValue, args: readonly RecordedArg[], span: Span): void {
    const inst = this.find(obj);
    if (inst && !inst.input && args.length > 0) inst.input = { args, span };
  }
}

/** Whether `part` is `whole` or one of its submodules. */
function contains(whole: PyObject, part: PyObject): boolean {
  if (whole === part) return true;
  for (const c of whole.children?.values() ?? []) if (contains(c, part)) return true;
  return false;
}

function tensorArg(v: PyValue, origins?: ReadonlyMap<string, string>): RecordedArg | undefined {
  if (v.t !== "tensor" || !v.state.shape) return undefined;
  const origin = origins?.get(v.value);
  return { shape: [...v.state.shape], dtype: v.state.dtype, ...(origin ? { origin } : {}) };
}

/** The variable a line assigns (`model = …`, `self.net: nn.Module = …`) and its span, if any. */
export function assignedName(source: string, span: Span): { name: string; span: Span } | undefined {
  const lineStart = source.lastIndexOf("\n", span.from - 1) + 1;
  const before = source.slice(lineStart, span.from);
  const m = /^(\s*)([A-Za-z_][\w.]*)\s*(?::[^=]*)?=\s*$/.exec(before);
  if (!m?.[2]) return undefined;
  const from = lineStart + (m[1]?.length ?? 0);
  return { name: m[2], span: { from, to: from + m[2].length } };
}

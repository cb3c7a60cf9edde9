/**
 * The library calls that state a model's input without running it here: torchinfo's and
 * torchsummary's `summary`, and `torch.onnx.export(model, dummy, …)`. Each records the shapes on
 * the model instance (instances.ts) and returns an unknown (what they print is not followed).
 */
import type { DType, Dim } from "../../ir/types";
import { builtin } from "./builtins";
import { tensorDtype } from "./tensorFactories";
import type { InstanceRecorder, RecordedArg } from "./instances";
import { iterate, num, unknown, type CallArgs, type PyValue } from "./values";

/** (1, 3, 224, 224) → dims; undefined unless every item is a non-negative integer. */
function dimsOf(v: PyValue | undefined): Dim[] | undefined {
  const items = v ? iterate(v) : undefined;
  if (!items || items.length === 0) return undefined;
  const dims = items.map(num);
  return dims.every((d): d is number => d !== undefined && Number.isInteger(d) && d >= 0) ? dims : undefined;
}

/** A shape or a list of shapes (several inputs). */
function shapesOf(v: PyValue | undefined): Dim[][] | undefined {
  const one = dimsOf(v);
  if (one) return [one];
  const many = v ? iterate(v)?.map(dimsOf) : undefined;
  return many?.every((d): d is Dim[] => d !== undefined) ? many : undefined;
}

function tensors(v: PyValue | undefined): RecordedArg[] {
  const items = v?.t === "tensor" ? [v] : v ? (iterate(v) ?? []) : [];
  return items.flatMap((t) =>
    t.t === "tensor" && t.state.shape ? [{ shape: [...t.state.shape], dtype: t.state.dtype }] : [],
  );
}

export function inputRecorders(
  recorder: InstanceRecorder,
): Readonly<Record<string, (member: string) => PyValue | undefined>> {
  // torchinfo.summary(model, input_size=(1, 3, 224, 224) | [(…), (…)], input_data=…, dtypes=[torch.long])
  const torchinfo = (a: CallArgs): PyValue => {
    const model = a.args[0];
    if (!model) return unknown("summary without a model");
    const data = tensors(a.kwargs.get("input_data"));
    const dtypes = iterate(a.kwargs.get("dtypes") ?? { t: "list", items: [] }) ?? [];
    const shapes = shapesOf(a.kwargs.get("input_size") ?? a.args[1]) ?? [];
    const sized = shapes.map((shape, i) => {
      const d = dtypes[i];
      return { shape, dtype: tensorDtype(d) ?? "float32" };
    });
    recorder.given(model, data.length > 0 ? data : sized, a.span);
    return unknown("torchinfo's summary is not followed");
  };
  // torchsummary.summary(model, (3, 224, 224)): the size without the batch dimension.
  const torchsummary = (a: CallArgs): PyValue => {
    const model = a.args[0];
    const shapes = shapesOf(a.kwargs.get("input_size") ?? a.args[1]) ?? [];
    if (model)
      recorder.given(
        model,
        shapes.map((s) => ({ shape: [1, ...s], dtype: "float32" as DType })),
        a.span,
      );
    return unknown("torchsummary's summary is not followed");
  };
  const onnxExport = (a: CallArgs): PyValue => {
    const model = a.args[0] ?? a.kwargs.get("model");
    if (model) recorder.given(model, tensors(a.args[1] ?? a.kwargs.get("args")), a.span);
    return unknown("torch.onnx.export is not followed");
  };
  return {
    torchinfo: (n) => (n === "summary" ? builtin("torchinfo.summary", torchinfo) : undefined),
    torchsummary: (n) => (n === "summary" ? builtin("torchsummary.summary", torchsummary) : undefined),
    "torch.onnx": (n) => (n === "export" ? builtin("torch.onnx.export", onnxExport) : undefined),
  };
}

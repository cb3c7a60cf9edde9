/**
 * What "Check with PyTorch" asks the bridge (media/python/convlens_bridge.py) to run: the same
 * model the static reading analysed, built the same way, on the same input.
 */
import { isForeignSpan, type PythonAnalysis, type TracedClass } from "./pythonModel";

export interface BridgeRequest {
  readonly file: string;
  /** A class of the file, or a variable the script assigns its model to. */
  readonly name: string;
  readonly kind: "class" | "instance";
  /** The file's own building call (`Net(num_classes=10)`), evaluated where the file defines its names. */
  readonly build?: string;
  readonly inputs: readonly { readonly shape: readonly number[]; readonly dtype: string }[];
  readonly device: "auto" | "meta" | "cpu";
  /** CPU size guard: the most bytes one input tensor may take. */
  readonly max_bytes: number;
  /** Also torch.onnx.export the model to `path`, with the weights of `checkpoint` when given. */
  readonly export?: { readonly path: string; readonly checkpoint?: string; readonly opset?: number };
}

const MAX_INPUT_BYTES = 1 << 30;

/** The request for one model of an analysis, or why it cannot be made (one line). */
export function bridgeRequest(
  fileName: string,
  source: string,
  analysis: PythonAnalysis,
  c: TracedClass,
): BridgeRequest | string {
  const input = c.input;
  if (!input)
    return `no input shape for ${c.name}: call the model in the file or add \`# convlens: input …\``;
  const args =
    input.args && input.args.length > 0 ? input.args : [{ shape: input.shape, dtype: input.dtype }];
  const inputs = [];
  for (const a of args) {
    const symbol = a.shape.find((d) => typeof d !== "number");
    if (symbol !== undefined)
      return `the input of ${c.name} has the symbolic dimension ${String(symbol)}: give it a number (convlens.inputShapes or \`# convlens: input …\`)`;
    inputs.push({ shape: a.shape as number[], dtype: a.dtype });
  }
  // A class analysed with the arguments a script instance gave it is built with those arguments.
  const builtBy =
    c.kind === "instance" ? c : analysis.classes.find((o) => o.kind === "instance" && o.name === c.instance);
  const span = builtBy?.span;
  // A model the reader could not build is known by the call that used it (`model(x)`), not built by it.
  const isCall = builtBy?.calls?.some((s) => s.from === span?.from && s.to === span.to) === true;
  const build = span && !isForeignSpan(span) && !isCall ? source.slice(span.from, span.to) : undefined;
  return {
    file: fileName,
    name: c.name,
    kind: c.kind ?? "class",
    ...(build ? { build } : {}),
    inputs,
    device: "auto",
    max_bytes: MAX_INPUT_BYTES,
  };
}

/**
 * What the PyTorch source reader gives back: one traced class or model instance per entry, its
 * input, analysis or one-line reason, and per-statement results for the editor.
 */
import type { ModelAnalysis } from "../../analysis/result";
import type { DType, Dim, Model } from "../../ir/types";
import type { Span } from "./ast";
import type { KerasBackendChoice } from "./kerasAssumptions";
import type { GraphBuilder, PyDiagnostic } from "./graphBuilder";
import type { RecordedArg } from "./instances";
import type { ParsedModules, SourceFiles } from "./moduleLoader";
import type { PyValue } from "./values";

export interface InputSpec {
  readonly shape: Dim[];
  readonly dtype: DType;
  /**
   * code = the script's own call of the model (`model(torch.randn(…))`, torchinfo, onnx export);
   * comment = `# convlens: input …`; setting = convlens.inputShapes / --input-shape;
   * assumed = derived from the first layer.
   */
  readonly source: "code" | "comment" | "setting" | "assumed";
  /** Every tensor argument when forward takes several (the first is `shape` / `dtype`). */
  readonly args?: readonly RecordedArg[];
  /** Where the code states it (source "code"). */
  readonly from?: Span;
}

export interface LineResult {
  readonly span: Span;
  /** "1×64×56×56", "(1×20×128, …)", or "? (unknown: reason)". */
  readonly text: string;
  readonly unknown: boolean;
}

export interface TracedClass {
  readonly name: string;
  readonly span: Span;
  readonly nameSpan: Span;
  readonly input?: InputSpec;
  readonly analysis?: ModelAnalysis;
  /** The traced graph (random weights when run). */
  readonly model?: Model;
  /** Why the class could not be analysed (one line). */
  readonly error?: string;
  readonly diagnostics: readonly PyDiagnostic[];
  readonly lines: readonly LineResult[];
  /**
   * "instance": a model the script builds (`model = Net(num_classes=10)`), named by its variable,
   * spanning the building call; "class" (the default): an nn.Module class of the file.
   */
  readonly kind?: "class" | "instance";
  /** For an instance, its class; for a class, the instance whose arguments it was analysed with. */
  readonly className?: string;
  readonly instance?: string;
  /** For an instance: where the script calls it (`model(x)`). */
  readonly calls?: readonly Span[];
  /**
   * What the analysis assumed that the file does not decide (a Keras source's backend() answer), also in
   * the analysis's warnings.
   */
  readonly assumptions?: readonly string[];
}

export interface PythonAnalysis {
  readonly classes: readonly TracedClass[];
  readonly parseErrors: readonly Span[];
}

export interface PythonOptions {
  readonly fileName: string;
  /** Input shapes by class name (from settings); a comment in the file wins. */
  readonly inputShapes?: Readonly<Record<string, readonly Dim[]>>;
  /** Input shapes that win over comments too (the CLI's --input-shape). */
  readonly forcedInputShapes?: Readonly<Record<string, readonly Dim[]>>;
  /** Reads the files imports resolve to; without it only torch, math and the like are known. */
  readonly files?: SourceFiles;
  /**
   * Where absolute imports are looked for after the file's own folder: workspace roots, then
   * the Python environment's site-packages (sys.path order).
   */
  readonly pythonPath?: readonly string[];
  /** Parsed library files kept between analyses (the host and the CLI hold one). */
  readonly parsedModules?: ParsedModules;
  readonly timeLimitMs?: number;
  /**
   * The input assumed for a class at its last analysis without errors (by class or variable name):
   * kept while the class is broken in a way no input size fixes.
   */
  readonly lastGoodInputs?: Readonly<Record<string, readonly Dim[]>>;
  /** What a Keras source's `backend()` answers (KERAS_BACKEND where it runs); Keras's default tensorflow. */
  readonly kerasBackend?: KerasBackendChoice;
}

export interface Trace {
  readonly b: GraphBuilder;
  readonly out: PyValue;
  readonly outputs: string[];
  readonly lines: Map<number, LineResult>;
}

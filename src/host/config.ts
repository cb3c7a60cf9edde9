/** The one place that reads ConvLens settings. */
import * as vscode from "vscode";
import type { Dim } from "../core/ir/types";
import { parseShapeText } from "../core/ir/shapeText";
import type { Backend } from "../protocol/messages";
import {
  DEFAULT_KERAS_BACKEND,
  isKerasBackend,
  type KerasBackendChoice,
} from "../core/formats/python/kerasAssumptions";

const BACKENDS: readonly string[] = ["webgpu", "native", "wasm", "webgl"];

export class Config {
  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration("convlens");
  }

  /** Where the Run panel executes models (convlens.backend); anything unknown is "auto". */
  get backend(): "auto" | Backend {
    const v = this.section.get<string>("backend", "auto");
    return BACKENDS.includes(v) ? (v as Backend) : "auto";
  }

  /**
   * Let the host engine use the host's GPU (onnxruntime-node's WebGPU provider, checked per model); never in
   * Restricted Mode.
   */
  get hostGpu(): boolean {
    return this.trusted && this.section.get<boolean>("hostGpu", false) === true;
  }

  /**
   * False in Restricted Mode (an untrusted folder): analysis, hints and the inspector work, but
   * nothing runs a model, loads weights, uses the host GPU or asks a Python interpreter.
   */
  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** Seconds after which an analysis is stopped. */
  get analysisTimeoutSeconds(): number {
    const v = this.section.get<number>("analysisTimeoutSeconds", 30);
    return Number.isFinite(v) && v > 0 ? v : 30;
  }

  /** convlens.python.timeoutSeconds: "Check with PyTorch" stops the Python process after this long. */
  get pythonTimeoutSeconds(): number {
    const v = this.section.get<number>("python.timeoutSeconds", 60);
    return Number.isFinite(v) && v > 0 ? v : 60;
  }

  /** convlens.pythonPath: the Python interpreter whose sys.path imports are read from ("" = not set). */
  get pythonPath(): string {
    return this.section.get<string>("pythonPath", "").trim();
  }

  /** convlens.pythonExtraPaths: folders searched for imports before the environment's. */
  get pythonExtraPaths(): string[] {
    const v = this.section.get<unknown>("pythonExtraPaths", []);
    return Array.isArray(v) ? v.filter((p): p is string => typeof p === "string" && p.trim() !== "") : [];
  }

  /** Every entry of convlens.inputShapes parsed (keys: file names, paths or Python class names). */
  get inputShapes(): Record<string, Dim[]> {
    const shapes = this.section.get<Record<string, string>>("inputShapes", {});
    const out: Record<string, Dim[]> = {};
    for (const [k, v] of Object.entries(shapes)) {
      const dims = parseShapeText(v);
      if (dims) out[k] = dims;
    }
    return out;
  }

  /** The input shape set for a model file (matched by file name or workspace-relative path), if any. */
  inputShapeFor(uri: vscode.Uri): Dim[] | undefined {
    const shapes = this.section.get<Record<string, string>>("inputShapes", {});
    const rel = vscode.workspace.asRelativePath(uri, false);
    const base = uri.path.split("/").pop() ?? "";
    const text = shapes[rel] ?? shapes[base];
    return text ? parseShapeText(text) : undefined;
  }

  /**
   * What a Keras source's `backend()` answers: convlens.kerasBackend where it is set, else the extension
   * host's KERAS_BACKEND (what Keras itself reads first), else Keras's default, tensorflow.
   */
  get kerasBackend(): KerasBackendChoice {
    const set = this.section.inspect<string>("kerasBackend");
    const chosen = set?.workspaceFolderValue ?? set?.workspaceValue ?? set?.globalValue;
    if (isKerasBackend(chosen)) return { name: chosen, from: "the convlens.kerasBackend setting" };
    const env = process.env["KERAS_BACKEND"];
    if (isKerasBackend(env)) return { name: env, from: "KERAS_BACKEND; convlens.kerasBackend changes it" };
    return { ...DEFAULT_KERAS_BACKEND, from: "Keras's default; convlens.kerasBackend changes it" };
  }
}

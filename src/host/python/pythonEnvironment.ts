/**
 * Where `import torchvision` is looked for: the workspace folders, convlens.pythonExtraPaths, then
 * the library folders of the user's Python interpreter — convlens.pythonPath, else the Python
 * extension's selected interpreter, else `python3` on PATH. The interpreter runs once (to print
 * its sys.path) and only in a trusted workspace: a workspace's own settings could name any program.
 */
import * as vscode from "vscode";
import { pythonLibraryPath } from "../../runtime/pythonFiles";
import type { Config } from "../config";

interface PythonExtensionApi {
  readonly environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { readonly path: string } | undefined;
  };
}

export class PythonEnvironment {
  private readonly libraries = new Map<string, Promise<string[]>>();

  constructor(
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Search folders for imports from `doc`, in order (the file's own folder is added by the analysis). */
  async searchPath(doc: vscode.Uri): Promise<string[]> {
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const extra = this.config.pythonExtraPaths;
    if (!vscode.workspace.isTrusted) return [...roots, ...extra];
    const python = await this.interpreter(doc);
    let libs = this.libraries.get(python);
    if (!libs) {
      libs = pythonLibraryPath(python).then((paths) => {
        this.log.info(`Python imports from ${python}: ${paths.join(", ") || "(no library folders found)"}`);
        return paths;
      });
      this.libraries.set(python, libs);
    }
    return [...roots, ...extra, ...(await libs)];
  }

  /** Forget cached sys.path lists (the interpreter or settings changed). */
  reset(): void {
    this.libraries.clear();
  }

  /** convlens.pythonPath, else the Python extension's interpreter for `doc`, else `python3`. */
  async interpreter(doc: vscode.Uri): Promise<string> {
    const set = this.config.pythonPath;
    if (set) return set;
    const ext = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
    if (ext) {
      try {
        const api = ext.isActive ? ext.exports : await ext.activate();
        const path = api?.environments?.getActiveEnvironmentPath(doc)?.path;
        if (path) return path;
      } catch (e) {
        this.log.warn(
          `the Python extension did not give an interpreter: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
    return "python3";
  }
}

/**
 * Node-only: the files Python imports resolve to, for the host's worker and the CLI. A file's
 * text is kept while its size and mtime stay the same, so a library read once (torchvision's
 * sources) costs a stat per analysis afterwards; open editors' unsaved texts win over the disk.
 */
import { execFile } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import type { SourceFiles } from "../core/formats/python/moduleLoader";

const MAX_BYTES = 2_000_000;

export class CachedSourceFiles implements SourceFiles {
  private readonly cache = new Map<string, { mtimeMs: number; size: number; text: string | undefined }>();
  /** Texts of open editors by path (unsaved edits), replaced per analysis. */
  overrides: Readonly<Record<string, string>> = {};

  read(path: string): string | undefined {
    const open = this.overrides[path];
    if (open !== undefined) return open;
    let st;
    try {
      st = statSync(path);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const hit = this.cache.get(path);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.text;
    const text = st.size > MAX_BYTES ? undefined : readFileSync(path, "utf8");
    this.cache.set(path, { mtimeMs: st.mtimeMs, size: st.size, text });
    return text;
  }
}

/**
 * The library folders of a Python interpreter's sys.path: the standard library is left out,
 * since its modules are builtins or not model code. Resolves to [] when the interpreter cannot
 * be run (not installed), never rejects.
 */
export function pythonLibraryPath(python: string, timeoutMs = 10_000): Promise<string[]> {
  // The standard library (stdlib, lib-dynload, the zipped stdlib) is left out; site-packages and
  // the folders of editable installs stay.
  const script = [
    "import sys, json, sysconfig",
    "std = {sysconfig.get_paths()[k] for k in ('stdlib', 'platstdlib')}",
    "keep = [p for p in sys.path if p and p not in std and not p.endswith('.zip') and 'lib-dynload' not in p]",
    "print(json.dumps(keep))",
  ].join("\n");
  return new Promise((resolve) => {
    execFile(python, ["-c", script], { timeout: timeoutMs, windowsHide: true }, (err, stdout) => {
      if (err) return resolve([]);
      try {
        const paths = JSON.parse(String(stdout).trim().split("\n").pop() ?? "[]") as unknown;
        resolve(Array.isArray(paths) ? paths.filter((p): p is string => typeof p === "string") : []);
      } catch {
        resolve([]);
      }
    });
  });
}

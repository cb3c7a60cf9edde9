/**
 * Which .json files in the workspace are Keras models (model.to_json(), TensorFlow.js
 * model.json). A .json is a model only by its content, so the explorer's "ConvLens: Inspect
 * Model" entry asks this set (the context key `convlens.kerasJsonFiles`, paths as the
 * `resourcePath` context key gives them) instead of showing on every .json.
 */
import { open } from "node:fs/promises";
import * as vscode from "vscode";
import { looksLikeKerasJson } from "../core/formats/keras/kerasFile";

const CONTEXT_KEY = "convlens.kerasJsonFiles";
const HEAD = 4096;
const MAX_BYTES = 64 * 1024 * 1024;
const MAX_FILES = 5000;
const EXCLUDE = "{**/node_modules/**,**/.git/**,**/.vscode-test/**}";

/** The start of a file (reading no more than needed, for local files). */
async function head(uri: vscode.Uri): Promise<Uint8Array> {
  if (uri.scheme !== "file") return (await vscode.workspace.fs.readFile(uri)).subarray(0, HEAD);
  const f = await open(uri.fsPath, "r");
  try {
    const buf = new Uint8Array(HEAD);
    const { bytesRead } = await f.read(buf, 0, HEAD, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await f.close();
  }
}

async function isKerasJson(uri: vscode.Uri): Promise<boolean> {
  const start = new TextDecoder().decode(await head(uri));
  if (!/^\uFEFF?\s*\{/.test(start) || !/"(class_name|modelTopology)"\s*:/.test(start)) return false;
  const stat = await vscode.workspace.fs.stat(uri);
  return stat.size <= MAX_BYTES && looksLikeKerasJson(await vscode.workspace.fs.readFile(uri));
}

export class KerasJsonFiles implements vscode.Disposable {
  private readonly paths = new Set<string>();
  private readonly watcher = vscode.workspace.createFileSystemWatcher("**/*.json");
  private publishTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.watcher.onDidCreate((uri) => void this.check(uri));
    this.watcher.onDidChange((uri) => void this.check(uri));
    this.watcher.onDidDelete((uri) => {
      if (this.paths.delete(uri.fsPath)) this.publish();
    });
    void this.scan();
  }

  has(uri: vscode.Uri): boolean {
    return this.paths.has(uri.fsPath);
  }

  uris(): vscode.Uri[] {
    return [...this.paths].map((p) => vscode.Uri.file(p));
  }

  private async scan(): Promise<void> {
    const files = await vscode.workspace.findFiles("**/*.json", EXCLUDE, MAX_FILES);
    for (const uri of files) await this.check(uri, false);
    this.publish();
  }

  private async check(uri: vscode.Uri, publish = true): Promise<void> {
    const was = this.paths.has(uri.fsPath);
    const is = await isKerasJson(uri).catch(() => false);
    if (is) this.paths.add(uri.fsPath);
    else this.paths.delete(uri.fsPath);
    if (publish && is !== was) this.publish();
  }

  private publish(): void {
    clearTimeout(this.publishTimer);
    this.publishTimer = setTimeout(
      () => void vscode.commands.executeCommand("setContext", CONTEXT_KEY, [...this.paths]),
      200,
    );
  }

  dispose(): void {
    clearTimeout(this.publishTimer);
    this.watcher.dispose();
  }
}

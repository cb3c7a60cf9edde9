/**
 * Jupyter notebooks in VS Code: each cell is its own TextDocument (scheme
 * vscode-notebook-cell). The analyses treat a notebook's code cells as one
 * program (core/formats/python/notebookProgram); this finds a cell's notebook
 * and builds that program from the notebook's current cells.
 */
import * as vscode from "vscode";
import { notebookProgram, type NotebookProgram } from "../../core/formats/python/notebookProgram";

export const NOTEBOOK_CELL_SCHEME = "vscode-notebook-cell";

export interface CellOf {
  readonly notebook: vscode.NotebookDocument;
  /** The cell's index among all the notebook's cells (markdown included). */
  readonly index: number;
}

/** The notebook that holds this cell document, if it is open. */
export function cellOf(doc: vscode.TextDocument): CellOf | undefined {
  if (doc.uri.scheme !== NOTEBOOK_CELL_SCHEME) return undefined;
  const key = doc.uri.toString();
  for (const notebook of vscode.workspace.notebookDocuments) {
    const index = notebook.getCells().findIndex((c) => c.document.uri.toString() === key);
    if (index >= 0) return { notebook, index };
  }
  return undefined;
}

export function programOf(notebook: vscode.NotebookDocument): NotebookProgram {
  return notebookProgram(
    notebook.getCells().map((c) => ({
      kind: c.kind === vscode.NotebookCellKind.Code ? "code" : "markup",
      text: c.document.getText(),
      language: c.document.languageId,
    })),
  );
}

/** The notebook's Python code cells (their documents get the features and the diagnostics). */
export function pythonCells(notebook: vscode.NotebookDocument): vscode.TextDocument[] {
  return notebook
    .getCells()
    .filter((c) => c.kind === vscode.NotebookCellKind.Code && c.document.languageId === "python")
    .map((c) => c.document);
}

/** An open document by URI: text editors' and notebook cells' alike. */
export function openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
  const key = uri.toString();
  const found = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
  if (found || uri.scheme !== NOTEBOOK_CELL_SCHEME) return found;
  for (const notebook of vscode.workspace.notebookDocuments)
    for (const d of pythonCells(notebook)) if (d.uri.toString() === key) return d;
  return undefined;
}

/** The file a document belongs to: a cell's notebook, else the document itself. */
export function fileUriOf(doc: vscode.TextDocument): vscode.Uri {
  return cellOf(doc)?.notebook.uri ?? doc.uri;
}

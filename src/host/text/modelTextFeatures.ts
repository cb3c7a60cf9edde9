/**
 * Editor features for text model definitions (Caffe .prototxt, Darknet .cfg, Keras
 * model.to_json() .json): a shape hint after each layer header (a Keras layer's "name"), hovers with the
 * layer's numbers, a
 * CodeLens with the totals, and diagnostics for broken definitions.
 */
import * as vscode from "vscode";
import { humanCount, shapeText } from "../../core/analysis/report";
import type { LayerRow, ModelAnalysis } from "../../core/analysis/result";
import { looksLikeDarknet } from "../../core/formats/darknet/darknetCfg";
import { looksLikeKerasJson } from "../../core/formats/keras/kerasFile";
import { analyzeFile, ModelError } from "../../core/index";
import { layerMarkdown } from "../layerText";

const SELECTOR: vscode.DocumentSelector = [
  { pattern: "**/*.prototxt" },
  { pattern: "**/*.cfg" },
  { pattern: "**/*.json" },
];

type Outcome = { analysis: ModelAnalysis } | { error: string };

class TextModels {
  private readonly cache = new Map<string, { version: number; outcome: Outcome | undefined }>();

  get(doc: vscode.TextDocument): Outcome | undefined {
    const hit = this.cache.get(doc.uri.toString());
    if (hit?.version === doc.version) return hit.outcome;
    const text = doc.getText();
    // A .json is a Keras model only by its content (checked on its start first: most .json files are not).
    const json = doc.fileName.endsWith(".json");
    const bytes =
      json && !/"(class_name|modelTopology)"\s*:/.test(text.slice(0, 4096))
        ? undefined
        : new TextEncoder().encode(text);
    let outcome: Outcome | undefined;
    if (
      !bytes ||
      (doc.fileName.endsWith(".cfg") && !looksLikeDarknet(bytes)) ||
      (json && !looksLikeKerasJson(bytes))
    )
      outcome = undefined;
    else {
      try {
        outcome = { analysis: analyzeFile(doc.fileName, bytes, {}, { timeLimitMs: 5000 }) };
      } catch (e) {
        outcome = {
          error: e instanceof ModelError ? e.message : `ConvLens could not read this file: ${String(e)}`,
        };
      }
    }
    this.cache.set(doc.uri.toString(), { version: doc.version, outcome });
    return outcome;
  }

  /** Layers by name in file order; each with all its nodes (the last gives the output). */
  layers(a: ModelAnalysis): Map<string, LayerRow[]> {
    const out = new Map<string, LayerRow[]>();
    for (const r of a.layers) if (r.source?.def) out.set(r.name, [...(out.get(r.name) ?? []), r]);
    return out;
  }
}

function range(doc: vscode.TextDocument, span: { from: number; to: number }): vscode.Range {
  return new vscode.Range(doc.positionAt(span.from), doc.positionAt(span.to));
}

export function registerModelTextFeatures(): vscode.Disposable[] {
  const models = new TextModels();
  const diagnostics = vscode.languages.createDiagnosticCollection("convlens-models");
  const refresh = (doc: vscode.TextDocument) => {
    if (!/\.(prototxt|cfg|json)$/.test(doc.fileName)) return;
    const o = models.get(doc);
    const list: vscode.Diagnostic[] = [];
    if (o && "error" in o) {
      const line = Number(/line (\d+)/.exec(o.error)?.[1] ?? 1) - 1;
      list.push(
        new vscode.Diagnostic(
          doc.lineAt(Math.min(Math.max(0, line), doc.lineCount - 1)).range,
          o.error,
          vscode.DiagnosticSeverity.Error,
        ),
      );
    } else if (o) {
      for (const r of o.analysis.layers)
        for (const w of r.warnings)
          if (r.source?.def)
            list.push(
              new vscode.Diagnostic(
                range(doc, r.source.def),
                `${r.name}: ${w}`,
                w.startsWith("shape error")
                  ? vscode.DiagnosticSeverity.Error
                  : vscode.DiagnosticSeverity.Warning,
              ),
            );
    }
    for (const d of list) d.source = "ConvLens";
    diagnostics.set(doc.uri, list);
  };
  vscode.workspace.textDocuments.forEach(refresh);
  return [
    diagnostics,
    vscode.workspace.onDidOpenTextDocument(refresh),
    vscode.workspace.onDidChangeTextDocument((e) => refresh(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => diagnostics.delete(d.uri)),
    vscode.languages.registerInlayHintsProvider(SELECTOR, {
      provideInlayHints(doc, visible) {
        const o = models.get(doc);
        if (!o || "error" in o) return [];
        const hints: vscode.InlayHint[] = [];
        for (const rows of models.layers(o.analysis).values()) {
          const def = rows[0]?.source?.def;
          const last = rows[rows.length - 1];
          if (!def || !visible.contains(doc.positionAt(def.to))) continue;
          const h = new vscode.InlayHint(
            doc.positionAt(def.to),
            ` → ${shapeText(last?.outputs[0]?.shape)}`,
            vscode.InlayHintKind.Type,
          );
          h.tooltip = new vscode.MarkdownString(layerMarkdown(rows));
          hints.push(h);
        }
        return hints;
      },
    }),
    vscode.languages.registerHoverProvider(SELECTOR, {
      provideHover(doc, pos) {
        const o = models.get(doc);
        if (!o || "error" in o) return undefined;
        for (const rows of models.layers(o.analysis).values()) {
          const def = rows[0]?.source?.def;
          if (def && range(doc, def).contains(pos))
            return new vscode.Hover(new vscode.MarkdownString(layerMarkdown(rows)), range(doc, def));
        }
        return undefined;
      },
    }),
    vscode.languages.registerCodeLensProvider(SELECTOR, {
      provideCodeLenses(doc) {
        const o = models.get(doc);
        if (!o) return [];
        const top = new vscode.Range(0, 0, 0, 0);
        if ("error" in o) return [new vscode.CodeLens(top, { title: `ConvLens: ${o.error}`, command: "" })];
        const t = o.analysis.totals;
        const rf =
          o.analysis.finalRf?.kind === "spatial"
            ? ` · RF ${o.analysis.finalRf.axes.map((a) => a.size).join("×")}`
            : "";
        return [
          new vscode.CodeLens(top, {
            title: `ConvLens: ${humanCount(t.params)} params · ${humanCount(t.macs)}MACs${rf} · input ${shapeText(o.analysis.inputs[0]?.shape)}`,
            command: "convlens.inspectModel",
            arguments: [doc.uri],
          }),
          new vscode.CodeLens(top, {
            title: "Inspect",
            command: "convlens.inspectModel",
            arguments: [doc.uri],
          }),
        ];
      },
    }),
  ];
}

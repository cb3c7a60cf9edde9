/**
 * `convlens` command line, on the same core as the extension:
 *   convlens summary FILE [--input-shape 1x3x224x224] [--format table|json|csv|md]
 * Exit 0 on success, 2 with a one-line message on bad input or bad usage.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { analyzeFile, ModelError, type ModelAnalysis } from "./core/index";
import { csvReport, jsonReport, markdownReport, tableReport } from "./core/analysis/report";
import type { Dim } from "./core/ir/types";

const USAGE = `usage: convlens summary FILE [--input-shape 1x3x224x224] [--format table|json|csv|md] [--time-limit SECONDS]`;
const FORMATS = ["table", "json", "csv", "md"] as const;
type Format = (typeof FORMATS)[number];

class UsageError extends Error {}

export function parseShape(text: string): Dim[] {
  const parts = text.split(/[x×,]/).map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => p === ""))
    throw new UsageError(`bad --input-shape "${text}": expected dims like 1x3x224x224`);
  return parts.map((p) => {
    if (/^\d+$/.test(p)) return Number(p);
    if (/^[A-Za-z_][\w]*$/.test(p)) return p;
    throw new UsageError(`bad dimension "${p}" in --input-shape "${text}"`);
  });
}

interface Args {
  command: string;
  file: string;
  format: Format;
  inputShape?: Dim[];
  timeLimitS: number;
}

function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  let format: Format = "table";
  let inputShape: Dim[] | undefined;
  let timeLimitS = 30;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    const value = () => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === "--help" || a === "-h") throw new UsageError("");
    else if (a.startsWith("--format")) {
      const f = value();
      if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`unknown --format "${f}" (table, json, csv or md)`);
      format = f as Format;
    } else if (a.startsWith("--input-shape")) inputShape = parseShape(value());
    else if (a.startsWith("--time-limit")) timeLimitS = Number(value());
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  const [command, file] = positional;
  if (command !== "summary" || !file || positional.length > 2) throw new UsageError("");
  return { command, file, format, timeLimitS, ...(inputShape ? { inputShape } : {}) };
}

function render(a: ModelAnalysis, format: Format): string {
  switch (format) {
    case "json":
      return JSON.stringify(jsonReport(a), null, 2);
    case "csv":
      return csvReport(a);
    case "md":
      return markdownReport(a);
    default:
      return tableReport(a);
  }
}

export function main(argv: readonly string[]): number {
  try {
    const args = parseArgs(argv);
    if (!existsSync(args.file)) throw new ModelError(`no such file: ${args.file}`);
    if (statSync(args.file).isDirectory()) throw new ModelError(`${args.file} is a folder, not a model file`);
    const bytes = readFileSync(args.file);
    const dir = dirname(args.file);
    const analysis = analyzeFile(
      args.file,
      bytes,
      { siblingExists: (rel) => existsSync(join(dir, rel)) },
      { timeLimitMs: args.timeLimitS * 1000, ...(args.inputShape ? { inputShapes: { "*": args.inputShape } } : {}) },
    );
    process.stdout.write(render(analysis, args.format) + "\n");
    for (const w of analysis.warnings) process.stderr.write(`warning: ${w}\n`);
    const broken = analysis.layers.find((l) => l.warnings.some((w) => w.startsWith("shape error")));
    if (broken) {
      process.stderr.write(`convlens: ${args.file}: node "${broken.id}" (${broken.opType}): ${broken.warnings[0]}\n`);
      return 2;
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(e.message ? `convlens: ${e.message}\n${USAGE}\n` : `${USAGE}\n`);
      return 2;
    }
    const msg = e instanceof ModelError ? e.message : `unexpected error: ${e instanceof Error ? e.message : String(e)}`;
    process.stderr.write(`convlens: ${msg.split("\n")[0]}\n`);
    return 2;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

/**
 * Issue 14, "one row per framework layer in every output format": for a file of each format (Caffe,
 * Darknet, TFLite, a Keras file and Keras source), `convlens summary` in table, JSON, CSV and Markdown
 * lists the same rows, one per layer the framework names, in the reference's order (the fixture's
 * .expected.json, written by the tools/ generators from PyTorch builds or Keras itself).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli";

const FIX = resolve(__dirname, "../fixtures");
let out = "";

beforeEach(() => {
  out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

/** The first column of each layer row, as each format writes it. */
const ROWS: Record<string, (text: string) => string[]> = {
  json: (t) => (JSON.parse(t) as { layers: { name: string }[] }).layers.map((l) => l.name),
  csv: (t) =>
    t
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(",")[0] ?? ""),
  markdown: (t) => {
    const lines = t.split("\n");
    const start = lines.findIndex((l) => /^\|[-| :]+\|$/.test(l));
    return lines
      .slice(start + 1)
      .filter((l) => l.startsWith("| "))
      .map((l) => l.split("|")[1]?.trim() ?? "");
  },
  table: (t) => {
    const lines = t.split("\n");
    // The rows run from the dashes under the header to the first blank or "warning:" line.
    const start = lines.findIndex((l) => /^-+( +-+)+$/.test(l));
    const end = lines.findIndex((l, i) => i > start && (!l.trim() || l.startsWith("warning:")));
    return lines.slice(start + 1, end < 0 ? undefined : end).map((l) => l.split(/\s+/)[0] ?? "");
  },
};

const FILES: [string, string][] = [
  ["caffe/lenet.prototxt", "caffe/lenet.expected.json"],
  ["darknet/tiny-classifier.cfg", "darknet/tiny-classifier.expected.json"],
  ["tflite/mobilenet_block.tflite", "tflite/mobilenet_block.expected.json"],
  ["keras/mnist_convnet.h5", "keras/mnist_convnet.expected.json"],
  ["python/keras_vgg.py", "python/keras_vgg.expected.json"],
];

describe("convlens summary: one row per framework layer in every output format", () => {
  it.each(FILES)("%s", async (file, ref) => {
    const want = (
      JSON.parse(readFileSync(resolve(FIX, ref), "utf8")) as { layers: { name: string }[] }
    ).layers
      .map((l) => l.name)
      .filter((n, i, all) => all.indexOf(n) === i);
    for (const format of Object.keys(ROWS)) {
      out = "";
      expect(await main(["summary", resolve(FIX, file), "--format", format]), format).toBe(0);
      expect(ROWS[format]?.(out), `${file} --format ${format}`).toEqual(want);
    }
  });
});

/**
 * Darknet layers without an ONNX operator (org.convlens.darknet domain: YOLOv1's [local], the
 * recurrent [rnn], [gru], [lstm], [crnn]): the cfg opens and is analysed, running it is refused in
 * one line, a section ConvLens cannot follow stays in place as unknown with its reason, and the
 * figures Darknet prints for published cfgs match. Layer numbers: tools/make_darknet_refs.py.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../src/core/index";
import { readDarknet } from "../../src/core/formats/darknet/darknetReader";
import { applyDarknetWeights } from "../../src/core/formats/darknet/darknetWeights";
import { readModel } from "../../src/core/formats/registry";
import { buildRunnable } from "../../src/core/onnx/runnable";

const fixture = (f: string) => readFileSync(resolve(__dirname, "../fixtures/darknet", f));

describe("Darknet framework-domain layers", () => {
  it("[local]: the Run tab says it cannot run it", () => {
    const model = readModel("yolov1-local.cfg", fixture("yolov1-local.cfg"));
    expect(model.opsets["org.convlens.darknet"]).toBe(1);
    expect(() => buildRunnable(model)).toThrow(/layer "1" \(Local\) has no ONNX operator/);
  });

  it("[local] with pad=1 and a size other than 3 is unknown with its reason, not guessed", () => {
    const cfg = "[net]\nwidth=8\nheight=8\nchannels=1\n\n[local]\nsize=5\npad=1\nfilters=2\n";
    const model = readDarknet(new TextEncoder().encode(cfg));
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(["darknet.local"]);
    expect(model.paramsUnknown?.[0]?.reason).toMatch(/pad=1 with size=5/);
  });

  it("an unknown section keeps its name and leaves the file readable", () => {
    const cfg = "[net]\nwidth=8\nheight=8\nchannels=1\n\n[implicit]\nfilters=4\n\n[softmax]\n";
    const model = readDarknet(new TextEncoder().encode(cfg));
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(["darknet.implicit", "darknet.softmax"]);
    expect(model.notes?.[0]).toMatch(/\[implicit\] at line 6 is not a Darknet layer ConvLens knows/);
  });
});

const cfg = (text: string) => new TextEncoder().encode(text);
/** The reason a section is unknown, or undefined when it was followed. */
const unknownReason = (text: string, layer: string) =>
  readDarknet(cfg(text)).paramsUnknown?.find((u) => u.path === layer)?.reason;

describe("Darknet recurrent sections", () => {
  it("the Run tab runs an [rnn] (one step as standard ops) but not a [gru]", () => {
    expect(buildRunnable(readModel("rnn.cfg", fixture("rnn.cfg"))).bytes.length).toBeGreaterThan(0);
    expect(() => buildRunnable(readModel("gru.cfg", fixture("gru.cfg")))).toThrow(
      /layer "0" \(GRU\) has no ONNX operator/,
    );
  });

  it("rnn.cfg has the sizes of pjreddie's printed load log (pjreddie/darknet#210)", () => {
    // "RNN Layer: 256 inputs, 1024 outputs / connected 256 -> 1024, 1024 -> 1024, 1024 -> 1024", …,
    // "connected 1024 -> 256", "softmax 256".
    const a = analyzeFile("rnn.cfg", fixture("rnn.cfg"));
    const rnn0 = a.layers.find((l) => l.name === "0");
    expect(rnn0?.inputs[0]?.shape).toEqual([1, 256]);
    expect(rnn0?.weights.filter((w) => w.name.endsWith(".weights")).map((w) => w.shape)).toEqual([
      [1024, 256],
      [1024, 1024],
      [1024, 1024],
    ]);
    const output = (name: string) => a.layers.filter((l) => l.name === name).pop()?.outputs[0]?.shape;
    expect(output("3")).toEqual([1, 256]);
    expect(output("4")).toEqual([1, 256]);
  });

  it("yolov1.cfg's convolutions give the BFLOPs AlexeyAB's Darknet prints for YOLOv1 (AlexeyAB/darknet#8023)", () => {
    const a = analyzeFile("yolov1.cfg", fixture("yolov1.cfg"));
    const bflops = (name: string) =>
      (a.layers.filter((l) => l.name === name).reduce((s, l) => s + (l.flops ?? NaN), 0) / 1e9).toFixed(3);
    expect(["0", "2", "4", "5", "6", "7"].map(bflops)).toEqual([
      "0.944",
      "2.775",
      "0.154",
      "1.850",
      "0.411",
      "7.399",
    ]);
  });

  it("an [rnn] whose hidden= differs from output= is unknown: the two Darknets build different layers", () => {
    const net = "[net]\ninputs=8\n[rnn]\noutput=4\n";
    expect(unknownReason(`${net}hidden=6\n`, "0")).toMatch(/hidden=6 is not output=4/);
    expect(unknownReason(net, "0")).toMatch(/hidden=\(unset, 1\) is not output=4/);
    expect(unknownReason(`${net}hidden=4\n`, "0")).toBeUndefined();
  });

  it("a [crnn] is read with the keys of the fork that defines them, else unknown with the reason", () => {
    const net = "[net]\nwidth=4\nheight=4\nchannels=2\n";
    expect(unknownReason(`${net}[crnn]\noutput=3\nhidden_filters=2\n`, "0")).toMatch(/mixes pjreddie's keys/);
    expect(unknownReason(`${net}[crnn]\nactivation=leaky\n`, "0")).toMatch(/sets neither output_filters=/);
    expect(unknownReason(`${net}[crnn]\noutput=3\nhidden=2\nsize=3\n`, "0")).toMatch(
      /make 4×4 into 2×2; Darknet's assert fails/,
    );
    const wide = "[net]\nwidth=6\nheight=4\nchannels=2\n[crnn]\noutput_filters=3\nhidden_filters=2\n";
    expect(unknownReason(wide, "0")).toMatch(/passes width and height swapped/);
    expect(
      unknownReason("[net]\ninputs=8\n[gru]\noutput=4\n[crnn]\noutput=3\nhidden=2\nsize=1\n", "1"),
    ).toMatch(/needs an image input; Darknet gives the \[gru\] before it no image sizes/);
  });

  it("a [crnn] over an image: its receptive field is unknown with the reason, not global", () => {
    const a = analyzeFile(
      "x.cfg",
      cfg("[net]\nwidth=5\nheight=5\nchannels=1\n[crnn]\noutput=2\nhidden=2\nsize=3\npad=1\n"),
    );
    const crnn = a.layers.find((l) => l.name === "0");
    expect(crnn?.rf).toBeNull();
    expect(crnn?.warnings).toEqual([
      "receptive field unknown: CRNN carries a state from step to step: its output is not a spatial window of its input",
    ]);
  });

  it("a [conv_lstm] that Darknet's CPU forward does not build as its GPU one is unknown with the reason", () => {
    const net = "[net]\nwidth=4\nheight=4\nchannels=2\n[conv_lstm]\noutput=3\npad=1\n";
    expect(unknownReason(net, "0")).toBeUndefined();
    expect(unknownReason(`${net}bottleneck=1\n`, "0")).toMatch(/bottleneck=1 is built only by Darknet's GPU/);
    expect(unknownReason(`${net}lstm_activation=relu\n`, "0")).toMatch(/its CPU forward uses tanh/);
    expect(unknownReason(`${net}stride=2\n`, "0")).toMatch(/make 4×4 into 2×2; Darknet's assert fails/);
    expect(unknownReason("[net]\ninputs=8\n[lstm]\noutput=4\n[conv_lstm]\noutput=3\n", "1")).toMatch(
      /needs an image input; Darknet gives the \[lstm\] before it no image sizes/,
    );
    expect(unknownReason("[net]\ninputs=8\n[history]\n", "0")).toMatch(/needs an image input/);
  });

  it("[conv_lstm] and [history]: receptive fields unknown (a carried state), MACs with Darknet's gate term", () => {
    const a = analyzeFile("conv_lstm.cfg", fixture("conv_lstm.cfg"));
    expect(a.layers.find((l) => l.name === "1")?.warnings).toEqual([
      "receptive field unknown: ConvLSTM carries a state from step to step: its output is not a spatial window of its input",
    ]);
    const history = analyzeFile(
      "h.cfg",
      cfg("[net]\nwidth=4\nheight=4\nchannels=2\n[history]\nhistory_size=3\n"),
    );
    expect(history.layers[0]?.outputs[0]?.shape).toEqual([1, 6, 4, 4]);
    expect(history.layers[0]?.warnings[0]).toMatch(/^receptive field unknown: History carries a state/);
    // make_conv_lstm_layer: 11 convolutions of 2·(6/2·6·9)·8·8 FLOPs each, plus 12·(6·8·8) for the gates.
    const layer1 = a.layers.find((l) => l.name === "1");
    expect(layer1?.flops).toBe(4 * 2 * (4 / 2) * 6 * 9 * 64 + 7 * 2 * (6 / 2) * 6 * 9 * 64 + 12 * 6 * 64);
  });

  it("a .weights file too short for a cfg's recurrent layers is refused in one line", () => {
    const model = readDarknet(fixture("rnn.cfg"));
    expect(() => applyDarknetWeights(model, new Uint8Array(20))).toThrow(
      /The \.weights file ends before layer 0 \(0\.input\.biases\)/,
    );
  });
});

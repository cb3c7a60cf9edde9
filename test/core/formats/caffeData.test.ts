/**
 * Caffe data layers give the net its input, as far as the file states it; what the file does
 * not hold (an LMDB's image size, an HDF5 dataset) is a named symbol or unknown with a note
 * asking for an input shape, never a guess. A layer ConvLens cannot follow keeps its place.
 * Expected shapes are Caffe's own rules (data_layer.cpp / image_data_layer.cpp: batch_size,
 * crop_size, is_color) applied by hand; whole nets are checked in textFormats.test.ts.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../../src/core/index";

const DIR = resolve(__dirname, "../../fixtures/caffe");
const analyse = (src: string) => analyzeFile("net.prototxt", new TextEncoder().encode(src));
const conv = (bottom: string) =>
  `layer { name: "conv" type: "Convolution" bottom: "${bottom}" top: "conv" convolution_param { num_output: 4 kernel_size: 3 } }`;

describe("data layers", () => {
  it("CaffeNet train_val without an input shape: channels unknown, the rest as the file says", () => {
    const a = analyzeFile(
      "caffenet_train_val.prototxt",
      readFileSync(resolve(DIR, "caffenet_train_val.prototxt")),
    );
    expect(a.inputs.map((i) => [i.name, i.shape])).toEqual([
      ["data", [50, "C", 227, 227]],
      ["label", [50]],
    ]);
    expect(a.warnings.join("\n")).toMatch(
      /Data layer "data": the image channels are stored in "examples\/imagenet\/ilsvrc12_val_lmdb"/,
    );
    // Totals say what they leave out: MACs unknown, params a lower bound naming the layers.
    expect(a.totals.macs).toBeNull();
    expect(a.totals.paramsUnknown?.map((u) => u.path)).toContain("conv1");
    expect(a.layers.find((l) => l.name === "pool1")?.outputs[0]?.shape).toBeNull();
  });
  it("ImageData: colour unless is_color is false, new_height/new_width, crop_size first", () => {
    const grey = analyse(
      `layer { name: "d" type: "ImageData" top: "data" top: "label" image_data_param { source: "l.txt" batch_size: 8 is_color: false new_height: 40 new_width: 30 } }\n${conv("data")}`,
    );
    expect(grey.inputs.map((i) => i.shape)).toEqual([[8, 1, 40, 30], [8]]);
    expect(grey.layers.find((l) => l.name === "conv")?.outputs[0]?.shape).toEqual([8, 4, 38, 28]);
    const cropped = analyse(
      `layer { name: "d" type: "ImageData" top: "data" top: "label" transform_param { crop_size: 32 } image_data_param { batch_size: 2 new_height: 40 new_width: 40 } }\n${conv("data")}`,
    );
    expect(cropped.inputs[0]?.shape).toEqual([2, 3, 32, 32]);
    expect(cropped.warnings).toEqual([]);
  });
  it("WindowData: crop_size² windows, channels from the window file (a symbol, with a note)", () => {
    // R-CNN's pascal_finetune_trainval_test.prototxt data layer; window_data_layer.cpp reshapes the top
    // to (batch_size, channels of the window file's images, crop_size, crop_size).
    const a = analyse(
      `layer { name: "d" type: "WindowData" top: "data" top: "label" window_data_param { source: "w.txt" batch_size: 128 fg_threshold: 0.5 } transform_param { crop_size: 227 } }\n${conv("data")}`,
    );
    expect(a.inputs.map((i) => i.shape)).toEqual([[128, "C", 227, 227], [128]]);
    expect(a.warnings.join("\n")).toMatch(/WindowData layer "d": the image channels are listed in "w\.txt"/);
    const given = analyzeFile(
      "net.prototxt",
      new TextEncoder().encode(
        `layer { name: "d" type: "WindowData" top: "data" top: "label" window_data_param { source: "w.txt" batch_size: 2 } transform_param { crop_size: 9 } }\n${conv("data")}`,
      ),
      {},
      { inputShapes: { "*": [2, 3, 9, 9] } },
    );
    expect(given.layers.find((l) => l.name === "conv")?.outputs[0]?.shape).toEqual([2, 4, 7, 7]);
  });
  it("MemoryData and DummyData state their shapes", () => {
    const mem = analyse(
      `layer { name: "m" type: "MemoryData" top: "data" top: "label" memory_data_param { batch_size: 4 channels: 2 height: 9 width: 7 } }\n${conv("data")}`,
    );
    expect(mem.inputs[0]?.shape).toEqual([4, 2, 9, 7]);
    const dummy = analyse(
      `layer { name: "x" type: "DummyData" top: "data" top: "y" dummy_data_param { shape { dim: 1 dim: 3 dim: 5 dim: 5 } shape { dim: 1 dim: 6 } } }\n${conv("data")}`,
    );
    expect(dummy.inputs.map((i) => i.shape)).toEqual([
      [1, 3, 5, 5],
      [1, 6],
    ]);
    expect(dummy.totals.params).toBe(4 * 3 * 9 + 4);
  });
  it("HDF5Data says its shapes are in the HDF5 files and asks for an input shape", () => {
    const src = `layer { name: "h" type: "HDF5Data" top: "data" top: "label" hdf5_data_param { source: "train.txt" batch_size: 16 } }\n${conv("data")}`;
    const a = analyse(src);
    expect(a.warnings.join("\n")).toMatch(/HDF5Data layer "h": .*"train\.txt".*give the input shape/);
    expect(a.totals.macs).toBeNull();
    const given = analyzeFile(
      "net.prototxt",
      new TextEncoder().encode(src),
      {},
      { inputShapes: { "*": [16, 3, 8, 8] } },
    );
    expect(given.layers.find((l) => l.name === "conv")?.outputs[0]?.shape).toEqual([16, 4, 6, 6]);
    expect(given.totals.paramsUnknown).toBeUndefined();
  });
  it("label tops let loss and accuracy layers be skipped", () => {
    const a = analyzeFile(
      "lenet_train_test.prototxt",
      readFileSync(resolve(DIR, "lenet_train_test.prototxt")),
      {},
      { inputShapes: { "*": [100, 1, 28, 28] } },
    );
    expect(a.layers.map((l) => l.layerType)).not.toContain("Accuracy");
    expect(a.outputs.map((o) => o.shape)).toEqual([[100, 10]]);
  });
});

describe("layers ConvLens cannot follow", () => {
  it("an unsupported layer type is unknown with its name, and the file still opens", () => {
    const a = analyse(
      `input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\nlayer { name: "odd" type: "MyCustom" bottom: "data" top: "odd" }\n${conv("odd")}`,
    );
    expect(a.warnings.join("\n")).toMatch(
      /layer "odd" \(line 6\): Caffe layer type "MyCustom" is not supported/,
    );
    expect(a.totals.paramsUnknown?.map((u) => u.path)).toEqual(["odd", "conv"]);
    expect(a.totals.macs).toBeNull();
  });

  it("a Python layer between others (R-FCN's proposal layer) names its module and class", () => {
    const a = analyse(
      `input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\nlayer { name: "proposal" type: "Python" bottom: "data" top: "rois" python_param { module: "rpn.proposal_layer" layer: "ProposalLayer" } }`,
    );
    expect(a.warnings.join("\n")).toMatch(
      /layer "proposal" \(line 6\): Python rpn\.proposal_layer\.ProposalLayer \(its tops are shaped by Python code\)/,
    );
    expect(a.totals.paramsUnknown?.map((u) => u.path)).toEqual(["proposal"]);
  });
});

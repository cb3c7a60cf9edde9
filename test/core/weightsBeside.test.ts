/** The one lookup of weight files beside a definition, shared by the Run panel and the CLI. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readCaffe } from "../../src/core/formats/caffe/caffeReader";
import { readDarknet } from "../../src/core/formats/darknet/darknetReader";
import {
  loadWeightsBeside,
  loneOwnWeights,
  weightFilesBeside,
  weightFilesFor,
  weightsMessage,
} from "../../src/core/formats/weights/beside";

const CAFFE = resolve(__dirname, "../fixtures/caffe");
const DARKNET = resolve(__dirname, "../fixtures/darknet");
const files = (dir: string, names: Record<string, string>) => (file: string) =>
  Promise.resolve(names[file] ? readFileSync(resolve(dir, names[file])) : undefined);

describe("weight files beside a model", () => {
  it("tries the format's own file, then .safetensors, .pth, .pt", () => {
    expect(weightFilesBeside("caffe", "/m/deploy.prototxt").map((f) => f.file)).toEqual([
      "deploy.caffemodel",
      "deploy.safetensors",
      "deploy.pth",
      "deploy.pt",
    ]);
    expect(weightFilesBeside("darknet", "C:\\m\\yolo.cfg").map((f) => f.file)).toEqual([
      "yolo.weights",
      "yolo.safetensors",
      "yolo.pth",
      "yolo.pt",
    ]);
    expect(weightFilesBeside("onnx", "net.onnx").map((f) => f.kind)).toEqual([
      "safetensors",
      "pytorch",
      "pytorch",
    ]);
    expect(weightFilesFor("python", ["LeNet5", "models"]).map((f) => f.file)).toEqual([
      "LeNet5.safetensors",
      "LeNet5.pth",
      "LeNet5.pt",
      "models.safetensors",
      "models.pth",
      "models.pt",
    ]);
  });

  it("takes the folder's only .caffemodel for a differently named deploy.prototxt, never one of two", async () => {
    const model = readCaffe(readFileSync(resolve(CAFFE, "mini_inception.prototxt")));
    const read = files(CAFFE, { "bvlc_mini.caffemodel": "mini_inception.caffemodel" });
    const one = await loadWeightsBeside(model, "caffe", "deploy.prototxt", read, () =>
      Promise.resolve(["deploy.prototxt", "bvlc_mini.caffemodel", "labels.txt"]),
    );
    expect(one.file).toBe("bvlc_mini.caffemodel");
    expect(one.report?.loaded).toBe(9);
    const two = await loadWeightsBeside(model, "caffe", "deploy.prototxt", read, () =>
      Promise.resolve(["deploy.prototxt", "bvlc_mini.caffemodel", "other.caffemodel"]),
    );
    expect(two.file).toBeUndefined();
    expect(loneOwnWeights("onnx", ["a.caffemodel"])).toBeUndefined();
    expect(loneOwnWeights("darknet", ["yolov2.cfg", "yolov2-voc.weights"])).toEqual({
      file: "yolov2-voc.weights",
      kind: "darknet",
    });
  });

  it("loads a .caffemodel beside a .prototxt", async () => {
    const model = readCaffe(readFileSync(resolve(CAFFE, "mini_inception.prototxt")));
    const r = await loadWeightsBeside(
      model,
      "caffe",
      "mini_inception.prototxt",
      files(CAFFE, { "mini_inception.caffemodel": "mini_inception.caffemodel" }),
    );
    expect(r.file).toBe("mini_inception.caffemodel");
    expect(r.report && weightsMessage(r.file ?? "", r.report)).toEqual({
      warning: false,
      text: "weights loaded from mini_inception.caffemodel (9 layers).",
    });
  });

  it("loads Darknet .weights through the same lookup", async () => {
    const model = readDarknet(readFileSync(resolve(DARKNET, "weights-net.cfg")));
    const r = await loadWeightsBeside(
      model,
      "darknet",
      "weights-net.cfg",
      files(DARKNET, { "weights-net.weights": "weights-net.weights" }),
    );
    expect(r.report?.loaded).toBe(14);
  });

  it("leaves the model as it is when there is no file", async () => {
    const model = readCaffe(readFileSync(resolve(CAFFE, "tiny_v1.prototxt")));
    const r = await loadWeightsBeside(model, "caffe", "tiny_v1.prototxt", files(CAFFE, {}));
    expect(r).toEqual({ model });
  });

  it("names the file that cannot be used", async () => {
    const model = readCaffe(readFileSync(resolve(CAFFE, "tiny_v1.prototxt")));
    // The other net's weights: missing, unexpected and mis-shaped layers are reported, not thrown.
    const other = await loadWeightsBeside(
      model,
      "caffe",
      "tiny_v1.prototxt",
      files(CAFFE, { "tiny_v1.caffemodel": "mini_inception.caffemodel" }),
    );
    const m = other.report && weightsMessage("tiny_v1.caffemodel", other.report);
    expect(m?.warning).toBe(true);
    expect(m?.text).toBe(
      "tiny_v1.caffemodel: loaded 0 layers; 1 missing (conv1); 8 unexpected (conv1/7x7_s2, conv1/bn, conv1/scale, …); 1 mis-shaped (fc (InnerProduct): blob 0 (weight) is [5, 8], the prototxt needs [10, 512]). The rest run on random weights.",
    );
    // Not a caffemodel at all: an error that names the file.
    await expect(
      loadWeightsBeside(
        model,
        "caffe",
        "tiny_v1.prototxt",
        files(CAFFE, { "tiny_v1.caffemodel": "tiny_v1.prototxt" }),
      ),
    ).rejects.toThrow(
      /^tiny_v1\.caffemodel: The \.caffemodel is truncated or not a Caffe binary NetParameter/,
    );
  });
});

/**
 * Caffe layers without an ONNX operator (org.convlens.caffe domain): the model opens and is
 * analysed, and running it is refused in one line instead of failing inside onnxruntime
 * (or, for Caffe's LSTM, running with its gates in the wrong order).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readModel } from "../../src/core/formats/registry";
import { buildRunnable } from "../../src/core/onnx/runnable";

const fixture = (f: string) => readFileSync(resolve(__dirname, "../fixtures/caffe", f));

describe("Caffe framework-domain layers", () => {
  it.each([
    ["opencv_face_detector_deploy.prototxt", /layer "conv4_3_norm_mbox_priorbox" \(PriorBox\) has no ONNX/],
    ["sequence_layers.prototxt", /layer "lstm" \(LSTM\) has no ONNX operator/],
  ])("%s: the Run tab says it cannot run it", (file, why) => {
    const model = readModel(file, fixture(file));
    expect(model.opsets["org.convlens.caffe"]).toBe(1);
    expect(() => buildRunnable(model)).toThrow(why);
  });
});

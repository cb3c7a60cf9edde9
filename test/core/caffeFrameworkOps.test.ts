/**
 * Caffe layers without an ONNX operator (org.convlens.caffe domain): the model opens and is
 * analysed, and running it is refused in one line instead of failing inside onnxruntime
 * (or, for Caffe's LSTM, running with its gates in the wrong order).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "../../src/core/index";
import { readModel } from "../../src/core/formats/registry";
import { buildRunnable } from "../../src/core/onnx/runnable";

const fixture = (f: string) => readFileSync(resolve(__dirname, "../fixtures/caffe", f));

describe("Caffe framework-domain layers", () => {
  it.each([
    ["opencv_face_detector_deploy.prototxt", /layer "conv4_3_norm_mbox_priorbox" \(PriorBox\) has no ONNX/],
    ["sequence_layers.prototxt", /layer "lstm" \(LSTM\) has no ONNX operator/],
    ["roi_pooling.prototxt", /layer "roi_pool" \(ROIPooling\) has no ONNX operator/],
  ])("%s: the Run tab says it cannot run it", (file, why) => {
    const model = readModel(file, fixture(file));
    expect(model.opsets["org.convlens.caffe"]).toBe(1);
    expect(() => buildRunnable(model)).toThrow(why);
  });
});

/** Region layers on conv features; `rois` from an Input of this shape or from R-FCN's proposal layer. */
const regionNet = (rois: string, head: string) => `name: "r"
input: "data"
input_shape { dim: 1 dim: 8 dim: 16 dim: 16 }
input: "im_info"
input_shape { dim: 1 dim: 3 }
${rois}
${head}
layer { name: "fc" type: "InnerProduct" bottom: "pooled" top: "fc" inner_product_param { num_output: 4 } }
`;
const fromInput = (dims: string) => `input: "rois"\ninput_shape { ${dims} }`;
const proposal = `layer { name: "proposal" type: "Python" bottom: "data" bottom: "im_info" top: "rois"
  python_param { module: "rpn.proposal_layer" layer: "ProposalLayer" } }`;
const roiPool = `layer { name: "pool" type: "ROIPooling" bottom: "data" bottom: "rois" top: "pooled"
  roi_pooling_param { pooled_h: 2 pooled_w: 2 spatial_scale: 0.0625 } }`;
const psRoi = (
  c: number,
) => `layer { name: "pool" type: "PSROIPooling" bottom: "data" bottom: "rois" top: "pooled"
  psroi_pooling_param { spatial_scale: 0.0625 output_dim: ${c} group_size: 2 } }`;
const layer = (text: string, name: string) =>
  analyzeFile("r.prototxt", new TextEncoder().encode(text)).layers.find((l) => l.name === name);

describe("ROIPooling and PSROIPooling", () => {
  it("take the region count from the rois blob ([R, 5] or a proposal layer's [R, 5, 1, 1])", () => {
    expect(layer(regionNet(fromInput("dim: 7 dim: 5"), roiPool), "pool")?.outputs[0]?.shape).toEqual([
      7, 8, 2, 2,
    ]);
    const ps = layer(regionNet(fromInput("dim: 3 dim: 5 dim: 1 dim: 1"), psRoi(2)), "pool");
    expect(ps?.outputs[0]?.shape).toEqual([3, 2, 2, 2]);
    expect(ps?.macs).toBe(0);
  });

  it("after R-FCN's Python proposal layer the regions, and all after them, are unknown, not guessed", () => {
    for (const head of [roiPool, psRoi(2)]) {
      const a = analyzeFile("r.prototxt", new TextEncoder().encode(regionNet(proposal, head)));
      const pool = a.layers.find((l) => l.name === "pool");
      expect(pool?.outputs[0]?.shape).toBeNull();
      expect(pool?.macs).toBeNull();
      expect(a.totals.macs).toBeNull();
      expect(a.totals.paramsUnknown?.map((u) => u.path)).toEqual(["proposal", "fc"]);
    }
  });

  it("refuse rois that are not [R, 5] and score maps that are not output_dim·group_size² channels", () => {
    expect(layer(regionNet(fromInput("dim: 7 dim: 4"), roiPool), "pool")?.warnings.join()).toMatch(
      /shape error: ROIPooling's rois are \[R, 5\]/,
    );
    expect(layer(regionNet(fromInput("dim: 7 dim: 5"), psRoi(3)), "pool")?.warnings.join()).toMatch(
      /shape error: PSROIPooling takes output_dim·group_size² = 12 channels, not 8/,
    );
    // A map without channels had ROIPooling give 1 channel, a guess; the fork's layer reads N, C, H, W.
    const flat = regionNet(fromInput("dim: 7 dim: 5"), roiPool).replace(
      "input_shape { dim: 1 dim: 8 dim: 16 dim: 16 }",
      "input_shape { dim: 8 }",
    );
    const pool = layer(flat, "pool");
    expect(pool?.outputs[0]?.shape).toBeNull();
    expect(pool?.warnings.join()).toMatch(/shape error: ROIPooling pools an \[N, C, H, W\] map, not \[8\]/);
  });
});

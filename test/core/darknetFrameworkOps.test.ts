/**
 * Darknet layers without an ONNX operator (org.convlens.darknet domain, YOLOv1's [local]): the cfg
 * opens and is analysed, running it is refused in one line, and a section ConvLens does not know
 * stays in place as unknown with its name instead of refusing the file.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readDarknet } from "../../src/core/formats/darknet/darknetReader";
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
    const cfg = "[net]\nwidth=8\nheight=8\nchannels=1\n\n[conv_lstm]\noutput=4\n\n[softmax]\n";
    const model = readDarknet(new TextEncoder().encode(cfg));
    expect(model.graph.nodes.map((n) => n.opType)).toEqual(["darknet.conv_lstm", "darknet.softmax"]);
    expect(model.notes?.[0]).toMatch(/\[conv_lstm\] at line 6 is not a Darknet layer ConvLens knows/);
  });
});

// The sample workspace's README lists what our CLI computes for each sample file; this fails when a
// sample or the analysis changed and the table was not regenerated (npm run build does it).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SAMPLES_DIR, sampleTable, withTable } from "../../scripts/sampleReadme";

describe("media/samples/README.md", () => {
  it("holds the CLI's current numbers for every sample", async () => {
    const readme = readFileSync(join(SAMPLES_DIR, "README.md"), "utf8");
    const table = await sampleTable();
    expect(table.split("\n").length).toBe(13); // header, rule, 11 samples
    expect(withTable(readme, table)).toBe(readme);
  }, 60_000);

  it("agrees with published figures where there are some", async () => {
    const table = await sampleTable();
    const row = (file: string) => table.split("\n").find((l) => l.includes(`\`${file}\``)) ?? "";
    expect(row("keras/mnist_convnet.py")).toContain("| 34,826 |"); // keras.io's model.summary()
    expect(row("caffe/lenet.prototxt")).toContain("| 431,080 |"); // BVLC LeNet: 520+25,050+400,500+5,010
    expect(row("digits/lenet5_digits.onnx")).toContain("| 61,706 | 416,520 |"); // shared/fixtures README
  }, 60_000);
});

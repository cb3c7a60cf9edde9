/**
 * torchvision's real sources, every builder, as a user script calls it, against PyTorch's
 * numbers (tools/make_torchvision_refs.py). The guarantee: no builder gets a wrong number.
 * The ratchet: builders in EXACT must stay exact. A summary line gives today's pass rate.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ParsedModules } from "../../../src/core/formats/python/moduleLoader";
import { analyzePythonSource } from "../../../src/core/formats/python/pythonModel";
import {
  compareWithTorch,
  userScript,
  type CorpusResult,
  type TorchvisionExpected,
} from "./torchvisionCorpus";

const THIRD_PARTY = resolve(__dirname, "../../fixtures/third_party");
const EXPECTED = resolve(THIRD_PARTY, "torchvision-expected");

/** Builders that must be "exact" (add one as soon as it is; never remove one). */
const EXACT: readonly string[] = [
  "alexnet",
  "convnext_base",
  "convnext_large",
  "convnext_small",
  "convnext_tiny",
  "deeplabv3_mobilenet_v3_large",
  "deeplabv3_resnet101",
  "deeplabv3_resnet50",
  "densenet121",
  "densenet161",
  "densenet169",
  "densenet201",
  "efficientnet_b0",
  "efficientnet_b1",
  "efficientnet_b2",
  "efficientnet_b3",
  "efficientnet_b4",
  "efficientnet_b5",
  "efficientnet_b6",
  "efficientnet_b7",
  "efficientnet_v2_l",
  "efficientnet_v2_m",
  "efficientnet_v2_s",
  "fcn_resnet101",
  "fcn_resnet50",
  "googlenet",
  "inception_v3",
  "lraspp_mobilenet_v3_large",
  "maxvit_t",
  "mc3_18",
  "mnasnet0_5",
  "mnasnet0_75",
  "mnasnet1_0",
  "mnasnet1_3",
  "mobilenet_v2",
  "mobilenet_v3_large",
  "mobilenet_v3_small",
  "r2plus1d_18",
  "r3d_18",
  "regnet_x_16gf",
  "regnet_x_1_6gf",
  "regnet_x_32gf",
  "regnet_x_3_2gf",
  "regnet_x_400mf",
  "regnet_x_800mf",
  "regnet_x_8gf",
  "regnet_y_128gf",
  "regnet_y_16gf",
  "regnet_y_1_6gf",
  "regnet_y_32gf",
  "regnet_y_3_2gf",
  "regnet_y_400mf",
  "regnet_y_800mf",
  "regnet_y_8gf",
  "resnet101",
  "resnet152",
  "resnet18",
  "resnet34",
  "resnet50",
  "resnext101_32x8d",
  "resnext101_64x4d",
  "resnext50_32x4d",
  "s3d",
  "shufflenet_v2_x0_5",
  "shufflenet_v2_x1_0",
  "shufflenet_v2_x1_5",
  "shufflenet_v2_x2_0",
  "squeezenet1_0",
  "squeezenet1_1",
  "swin_b",
  "swin_s",
  "swin_t",
  "swin_v2_b",
  "swin_v2_s",
  "swin_v2_t",
  "vgg11",
  "vgg11_bn",
  "vgg13",
  "vgg13_bn",
  "vgg16",
  "vgg16_bn",
  "vgg19",
  "vgg19_bn",
  "vit_b_16",
  "vit_b_32",
  "vit_l_16",
  "vit_l_32",
  "wide_resnet101_2",
  "wide_resnet50_2",
];

const expectedFiles = readdirSync(EXPECTED)
  .filter((f) => f.endsWith(".json") && f !== "index.json")
  .sort();

const results = new Map<string, CorpusResult & { ms: number }>();

// As in the editor: library files read from disk and parsed once for all the scripts.
const files = { read: (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : undefined) };
const parsedModules = new ParsedModules();

function analyse(expected: TorchvisionExpected): CorpusResult {
  // pythonPath: where `import torchvision` is found, as the Python environment's site-packages would be.
  const fileName = resolve(__dirname, `${expected.builder}_script.py`);
  const options = { fileName, files, parsedModules, pythonPath: [THIRD_PARTY] };
  const result = analyzePythonSource(userScript(expected), options);
  const model = result.classes.find((c) => c.name === "model");
  const why = model ? (model.error ?? "no analysis") : "no module-level `model` entry in the analysis";
  return compareWithTorch(model?.analysis, expected, why);
}

describe("torchvision corpus: every builder against PyTorch", () => {
  it("has PyTorch's numbers for the builders", () => {
    expect(expectedFiles.length).toBeGreaterThan(50);
  });

  it.each(expectedFiles)("%s", (file) => {
    const expected = JSON.parse(readFileSync(resolve(EXPECTED, file), "utf8")) as TorchvisionExpected;
    const t0 = performance.now();
    const r = analyse(expected);
    results.set(expected.builder, { ...r, ms: performance.now() - t0 });
    // The guarantee: never a number PyTorch contradicts.
    expect(r.mismatches, `${expected.builder}: wrong numbers`).toEqual([]);
    if (EXACT.includes(expected.builder))
      expect(r.unknowns, `${expected.builder} is on the exact list`).toEqual([]);
  });

  afterAll(() => {
    const all = [...results.entries()];
    const count = (s: string): number => all.filter(([, r]) => r.status === s).length;
    const ms = all.reduce((acc, [, r]) => acc + r.ms, 0);
    const slowest = [...all].sort((a, b) => b[1].ms - a[1].ms)[0];
    const reasons = new Map<string, number>();
    for (const [, r] of all) {
      const why = r.status === "unknown" ? r.unknowns[0] : undefined;
      if (why !== undefined) reasons.set(why, (reasons.get(why) ?? 0) + 1);
    }
    const top = [...reasons.entries()].sort((a, b) => b[1] - a[1])[0];
    if (process.env["CORPUS_LIST"])
      console.log(JSON.stringify(all.filter(([, r]) => r.status === "exact").map(([b]) => b)));
    console.log(
      `torchvision corpus: ${count("exact")}/${all.length} exact, ${count("unknown")} unknown, ${count("wrong")} wrong; ` +
        `analysis ${(ms / 1000).toFixed(1)} s` +
        (slowest ? ` (slowest ${slowest[0]} ${(slowest[1].ms / 1000).toFixed(1)} s)` : "") +
        (top ? `; most common first unknown (${top[1]}x): ${top[0]}` : ""),
    );
  });
});

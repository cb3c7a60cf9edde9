/**
 * The Run tab's layer picker and the Show Feature Maps / Show Filters quick picks: which layers
 * they list, grouped by module in execution order, and the search. Expected layer names and types
 * come from the fixtures' expected/ files (PyTorch's own module list).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { LayerRow } from "../../src/core/analysis/result";
import { analyzeFile } from "../../src/core/index";
import { entryCount, pickable, pickerSections, type PickerSection } from "../../webview/model/layerPicker";
import { buildModuleTree } from "../../webview/model/moduleTree";
import { findConstantLayers } from "../../webview/model/plumbing";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");

function load(name: string) {
  const file = resolve(FIXTURES, "models", `${name}.onnx`);
  const analysis = analyzeFile(file, readFileSync(file));
  const expected = JSON.parse(readFileSync(resolve(FIXTURES, "expected", `${name}.json`), "utf8")) as {
    layers: { name: string; type: string; output_shape: number[] }[];
  };
  const tree = buildModuleTree(analysis.layers);
  const constants = findConstantLayers(analysis);
  return {
    analysis,
    expected,
    sections: (p: "featureMaps" | "filters", q = "") => pickerSections(tree, p, constants, q),
  };
}

const names = (sections: readonly PickerSection[]) => sections.flatMap((s) => s.entries.map((e) => e.name));

describe("layer picker on resnet18", () => {
  const { expected, sections } = load("resnet18");
  const convs = expected.layers.filter((l) => l.type === "Conv2d").map((l) => l.name);

  it("lists exactly PyTorch's 20 Conv2d modules for filters, in execution order", () => {
    expect(convs).toHaveLength(20);
    expect(names(sections("filters"))).toEqual(convs);
  });

  it("groups by the innermost module, a new section where the module changes", () => {
    const s = sections("featureMaps");
    expect(s[0]).toMatchObject({ group: null });
    expect(s[0]!.entries.map((e) => e.name)).toEqual(["conv1", "relu", "maxpool"]);
    const block = s.find((x) => x.group === "layer2.0");
    expect(block?.entries.map((e) => `${e.name} ${e.type}`)).toEqual([
      "layer2.0.conv1 Conv",
      "layer2.0.relu Relu",
      "layer2.0.conv2 Conv",
      "layer2.0.downsample.0 Conv",
      "layer2.0 Add",
      "layer2.0.relu Relu",
    ]);
    // The global pool runs last: its own section at the end, not merged with conv1's.
    expect(s[s.length - 1]).toMatchObject({
      group: null,
      entries: [{ name: "avgpool", shape: "1×512×1×1" }],
    });
    expect(block?.entries[0]?.shape).toBe("1×128×28×28");
  });

  it("lists no exporter plumbing and no vector outputs for feature maps", () => {
    const types = new Set(sections("featureMaps").flatMap((x) => x.entries.map((e) => e.type)));
    expect(types.has("Identity")).toBe(false);
    expect(types.has("Gemm")).toBe(false);
    expect(types.has("Flatten")).toBe(false);
    for (const c of convs) expect(names(sections("featureMaps"))).toContain(c);
  });

  it("search: every word must match the name, type, shape or module", () => {
    expect(names(sections("featureMaps", "layer3 conv"))).toEqual(
      convs.filter((c) => c.startsWith("layer3.")),
    );
    expect(names(sections("featureMaps", "DOWNSAMPLE"))).toEqual(
      convs.filter((c) => c.includes("downsample")),
    );
    expect(names(sections("filters", "7×7"))).toEqual(convs.filter((c) => c.startsWith("layer4.")));
    expect(entryCount(sections("filters", "no such layer"))).toBe(0);
  });
});

describe("layer picker on lenet5_digits", () => {
  const { expected, sections } = load("lenet5_digits");

  it("feature maps: the modules whose PyTorch output has spatial axes, in order", () => {
    const spatial = expected.layers.filter((l) => l.output_shape.length >= 3).map((l) => l.name);
    expect(spatial).toEqual(["c1", "act1", "s2", "c3", "act3", "s4", "c5", "act5"]);
    expect(names(sections("featureMaps"))).toEqual(spatial);
    expect(names(sections("filters"))).toEqual(["c1", "c3", "c5"]);
  });
});

describe("pickable", () => {
  const row = (shape: (number | string)[] | null, extra: Partial<LayerRow> = {}): LayerRow =>
    ({
      index: 0,
      name: "x",
      opType: "Relu",
      groups: [],
      weights: [],
      outputs: [{ name: "y", shape, dtype: "float32" }],
      ...extra,
    }) as unknown as LayerRow;

  it("keeps a layer whose output shape is unknown (it may have maps), drops vectors and constants", () => {
    expect(pickable(row(null), "featureMaps", false)).toBe(true);
    expect(pickable(row([1, "C", "H", "W"]), "explain", false)).toBe(true);
    expect(pickable(row([1, 10]), "featureMaps", false)).toBe(false);
    expect(pickable(row([1, 8, 4, 4]), "featureMaps", true)).toBe(false);
    expect(pickable(row([1, 8, 4, 4]), "filters", false)).toBe(false);
    expect(
      pickable(
        row([1, 8, 4, 4], { opType: "Conv", weights: [{ name: "w", shape: [8, 3, 3, 3] }] }),
        "filters",
        false,
      ),
    ).toBe(true);
  });
});

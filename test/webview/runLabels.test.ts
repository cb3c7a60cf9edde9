/**
 * Which class names the Run tab shows (webview/run/labels.ts) and the shipped ImageNet-1k list
 * (media/imagenet1k-labels.txt, from torchvision's _IMAGENET_CATEGORIES). Known indexes are the
 * published ILSVRC-2012 class order (0 tench, 281 tabby, 999 toilet tissue).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { chooseLabels, IMAGENET_SOURCE } from "../../webview/run/labels";

const imagenet = readFileSync(resolve(__dirname, "../../media/imagenet1k-labels.txt"), "utf8")
  .trimEnd()
  .split("\n");

describe("built-in ImageNet-1k labels", () => {
  it("has 1,000 names in ILSVRC-2012 class order", () => {
    expect(imagenet).toHaveLength(1000);
    expect(imagenet[0]).toBe("tench");
    expect(imagenet[281]).toBe("tabby");
    expect(imagenet[285]).toBe("Egyptian cat");
    expect(imagenet[999]).toBe("toilet tissue");
    expect(imagenet.every((n) => n.trim() === n && n !== "")).toBe(true);
  });
});

describe("chooseLabels", () => {
  const file = { name: "labels.txt", names: ["cat", "dog"] };

  it("uses the built-in names for 1,000 classes without a labels file, and says so", () => {
    const c = chooseLabels(1000, null, imagenet);
    expect(c.names?.[281]).toBe("tabby");
    expect(c.source).toBe(IMAGENET_SOURCE);
    expect(c.source).toBe("ImageNet-1k labels (built in)");
    expect(c.warning).toBeNull();
  });

  it("never puts ImageNet names on another class count (1001 with background, 10 classes)", () => {
    for (const n of [10, 999, 1001]) {
      const c = chooseLabels(n, null, imagenet);
      expect(c.names).toBeNull();
      expect(c.source).toMatch(/classes are indexes/);
    }
  });

  it("a labels file wins over the built-in names, with its name as the source", () => {
    const c = chooseLabels(2, file, imagenet);
    expect(c).toEqual({ names: ["cat", "dog"], source: "labels.txt", warning: null });
    const chosen = chooseLabels(1000, { name: "my_classes.txt", names: imagenet.slice(0, 1000) }, null);
    expect(chosen.source).toBe("my_classes.txt");
  });

  it("warns when the file's line count is not the class count", () => {
    const c = chooseLabels(1000, file, imagenet);
    expect(c.names).toEqual(["cat", "dog"]);
    expect(c.warning).toBe("labels.txt has 2 lines but the output has 1000 classes: names may not match.");
  });

  it("an empty file or a missing list counts as no labels", () => {
    expect(chooseLabels(1000, { name: "labels.txt", names: [] }, imagenet).source).toBe(IMAGENET_SOURCE);
    expect(chooseLabels(1000, null, null).names).toBeNull();
    expect(chooseLabels(1000, null, imagenet.slice(0, 999)).names).toBeNull();
  });
});

/**
 * Which class names the Run tab shows for an output of n classes: a labels file the
 * user chose, else labels.txt beside the model, else the built-in ImageNet-1k names when the
 * output has exactly 1,000 classes, else none (indexes). Pure: unit-tested under Node.
 */
import type { LabelsFile } from "../../src/protocol/messages";

/** The number of classes of ImageNet-1k (ILSVRC-2012), which the built-in names are for. */
export const IMAGENET_CLASSES = 1000;

/** Shown wherever the built-in names are in use, so nobody mistakes them for the model's own. */
export const IMAGENET_SOURCE = "ImageNet-1k labels (built in)";

export interface LabelChoice {
  /** Names by class index; null = show indexes. */
  readonly names: readonly string[] | null;
  /** Where the names come from, for the user: "labels.txt", "ImageNet-1k labels (built in)", … */
  readonly source: string;
  /** The file's line count differs from the classes: some names may belong to other classes. */
  readonly warning: string | null;
}

/**
 * The names for an output of `classes` classes. A labels file always wins (it is the user's
 * statement), with a warning when its line count is not the class count; the built-in ImageNet
 * names only ever label an output of exactly 1,000 classes.
 */
export function chooseLabels(
  classes: number,
  file: LabelsFile | null,
  imagenet: readonly string[] | null,
): LabelChoice {
  if (file !== null && file.names.length > 0) {
    const n = file.names.length;
    const warning =
      classes > 0 && n !== classes
        ? `${file.name} has ${n} line${n === 1 ? "" : "s"} but the output has ${classes} classes: names may not match.`
        : null;
    return { names: file.names, source: file.name, warning };
  }
  if (classes === IMAGENET_CLASSES && imagenet !== null && imagenet.length === IMAGENET_CLASSES)
    return { names: imagenet, source: IMAGENET_SOURCE, warning: null };
  return { names: null, source: "no labels.txt next to the model: classes are indexes", warning: null };
}

/**
 * Caffe data layers give the net its input (train_val / train_test prototxts): each top's
 * shape as far as the file states it. What the file does not hold (an LMDB's image size, an
 * HDF5 dataset's shape, a Python layer's output) stays a named symbol or unknown, with a note
 * asking for an input shape; `--input-shape` / `convlens.inputShapes` override the first top.
 */
import type { Dim } from "../../ir/types";
import type { TextMessage } from "./textProto";

/**
 * What a data layer produces: a shape per top (undefined when even the rank is unknown) and why a size is not
 * known.
 */
export interface DataTops {
  readonly shapes: readonly (Dim[] | undefined)[];
  readonly note?: string;
}

const ASK = "give the input shape (--input-shape or the convlens.inputShapes setting)";

/** The layer types that read data rather than compute on a bottom. */
export const DATA_LAYER_TYPES: ReadonlySet<string> = new Set([
  "Data",
  "ImageData",
  "WindowData",
  "HDF5Data",
  "MemoryData",
  "DummyData",
  "AnnotatedData",
]);

/**
 * The input tops of a data layer, or undefined when `type` is not one (a Python layer only when it has no
 * bottoms).
 */
export function dataLayerTops(l: TextMessage, type: string, name: string): DataTops | undefined {
  const tops = l.all("top").length;
  const transform = l.msg("transform_param");
  const label = (batch: Dim): Dim[][] => (tops > 1 ? [[batch]] : []);
  const image = (batch: Dim, channels: Dim, h: Dim | undefined, w: Dim | undefined): Dim[][] => {
    const crop = transform?.num("crop_size");
    return [[batch, channels, crop ?? h ?? "H", crop ?? w ?? "W"], ...label(batch)];
  };
  switch (type) {
    case "Data":
    case "AnnotatedData": {
      const p = l.msg("data_param");
      const batch = p?.num("batch_size") ?? "N";
      const source = p?.str("source");
      // The database's records hold channels, height and width; crop_size fixes the last two.
      const [data = [], labels] = image(batch, "C", undefined, undefined);
      return {
        // SSD's AnnotatedData gives boxes as its label top: their count is not known before reading.
        shapes: type === "Data" || !labels ? [data, ...(labels ? [labels] : [])] : [data, undefined],
        note: `${type} layer "${name}": the image ${transform?.num("crop_size") ? "channels are" : "channels and size are"} stored in ${source ? `"${source}"` : "its database"}, not in this file: ${ASK}.`,
      };
    }
    case "ImageData": {
      const p = l.msg("image_data_param");
      const batch = p?.num("batch_size") ?? 1;
      // Images are decoded as colour (3 channels) unless is_color: false; new_height/new_width resize them.
      const channels = p?.first("is_color") === false ? 1 : 3;
      const shapes = image(batch, channels, p?.num("new_height"), p?.num("new_width"));
      const known = shapes[0]?.every((d) => typeof d === "number");
      return known
        ? { shapes }
        : { shapes, note: `ImageData layer "${name}": the image size depends on the image files: ${ASK}.` };
    }
    case "WindowData": {
      // window_data_layer.cpp: windows warped to crop_size², channels as the window file lists them
      // (its images' "channels" lines, not this file); batch_size has no default in caffe.proto.
      const p = l.msg("window_data_param");
      const batch = p?.num("batch_size") ?? "N";
      const crop = p?.num("crop_size") ?? transform?.num("crop_size");
      const source = p?.str("source");
      const where = source ? `"${source}"` : "its window file";
      return {
        shapes: [[batch, "C", crop ?? "H", crop ?? "W"], ...label(batch)],
        note: crop
          ? `WindowData layer "${name}": the image channels are listed in ${where}, not in this file: ${ASK}.`
          : `WindowData layer "${name}": no crop_size, and the channels are listed in ${where}: ${ASK}.`,
      };
    }
    case "MemoryData": {
      const p = l.msg("memory_data_param");
      const batch = p?.num("batch_size") ?? 1;
      return {
        shapes: [
          [batch, p?.num("channels") ?? 1, p?.num("height") ?? 1, p?.num("width") ?? 1],
          ...label(batch),
        ],
      };
    }
    case "DummyData": {
      const p = l.msg("dummy_data_param");
      const shapes = p?.msgs("shape").map((s) => s.nums("dim")) ?? [];
      // Legacy form: num / channels / height / width lists, one entry per top (or one for all).
      const legacy = (i: number, key: string) => {
        const v = p?.nums(key) ?? [];
        return v[i] ?? v[0] ?? 1;
      };
      return {
        shapes: Array.from({ length: tops }, (_, i) =>
          shapes.length
            ? (shapes[i] ?? shapes[0] ?? [])
            : ["num", "channels", "height", "width"].map((k) => legacy(i, k)),
        ),
      };
    }
    case "HDF5Data": {
      const p = l.msg("hdf5_data_param");
      return {
        shapes: new Array<undefined>(tops).fill(undefined),
        note: `HDF5Data layer "${name}": the shapes of its tops are those of the datasets in ${p?.str("source") ? `"${p.str("source")}"` : "its HDF5 files"}, not in this file: ${ASK}.`,
      };
    }
    case "Python": {
      if (l.all("bottom").length > 0) return undefined;
      const p = l.msg("python_param");
      return {
        shapes: new Array<undefined>(tops).fill(undefined),
        note: `Python layer "${name}" (${p?.str("module") ?? "?"}.${p?.str("layer") ?? "?"}): its tops are shaped by Python code: ${ASK}.`,
      };
    }
    default:
      return undefined;
  }
}

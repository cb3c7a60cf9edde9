/**
 * What a Keras source asks that its file does not decide: the backend (`keras.backend.backend()`,
 * `keras.config.backend()`, set by KERAS_BACKEND or ~/.keras/keras.json where it runs) and the image data
 * format (`image_data_format()`, from keras.json). Each is answered with the chosen or default value, and an
 * answer used becomes a note on the model, so the assumption is visible. The source may set the image data
 * format (`set_image_data_format`): layers built after it without a data_format take it, as Keras's do.
 */
import { NONE, str, unknown, type CallArgs, type PyValue } from "./values";

/** The backends Keras 3 runs on (KERAS_BACKEND's values). */
export const KERAS_BACKENDS = ["tensorflow", "jax", "torch", "numpy", "openvino"] as const;
export type KerasBackend = (typeof KERAS_BACKENDS)[number];

export function isKerasBackend(v: unknown): v is KerasBackend {
  return typeof v === "string" && (KERAS_BACKENDS as readonly string[]).includes(v);
}

/** The backend `backend()` answers with, and where it was chosen (said in the note). */
export interface KerasBackendChoice {
  readonly name: KerasBackend;
  /** "the convlens.kerasBackend setting", "KERAS_BACKEND", "--keras-backend", … */
  readonly from: string;
}

/** Keras's default when nothing chooses: what a file is assumed to run on. */
export const DEFAULT_KERAS_BACKEND: KerasBackendChoice = {
  name: "tensorflow",
  from: "Keras's default",
};

export class KerasAssumptions {
  private backendAsked = false;
  private formatAsked = false;
  /** The image data format the source set (a string), why it is not known, or undefined: Keras's default. */
  private formatSet: { readonly format: string } | { readonly unknown: string } | undefined;

  constructor(public choice: KerasBackendChoice = DEFAULT_KERAS_BACKEND) {}

  /** `backend()`: the chosen backend's name. */
  backend(): PyValue {
    this.backendAsked = true;
    return str(this.choice.name);
  }

  /** `image_data_format()`: what the source set, else Keras's default; ~/.keras/keras.json is not read. */
  imageDataFormat(): PyValue {
    if (this.formatSet === undefined) this.formatAsked = true;
    const set = this.formatSet;
    if (set === undefined) return str("channels_last");
    return "format" in set ? str(set.format) : unknown(set.unknown);
  }

  /** `set_image_data_format(f)`: the default of the layers built after it. */
  setImageDataFormat(a: CallArgs): PyValue {
    const f = a.args[0] ?? a.kwargs.get("data_format");
    this.formatSet =
      f?.t === "str" && (f.v === "channels_first" || f.v === "channels_last")
        ? { format: f.v }
        : { unknown: "set_image_data_format was given a value that is not known here" };
    return NONE;
  }

  /**
   * The data_format a layer built now without one takes: undefined for Keras's default (the layer readers
   * assume it), else the format the source set, or why it is not known (the layer's shapes become unknown).
   */
  layerDefault(): { readonly format: string } | { readonly unknown: string } | undefined {
    return this.formatSet;
  }

  /** One note per answer the source used. */
  notes(): string[] {
    return [
      ...(this.backendAsked
        ? [`assuming the ${this.choice.name} backend (${this.choice.from}): the code asks backend()`]
        : []),
      ...(this.formatAsked
        ? [
            'assuming the "channels_last" image data format (Keras\'s default; ~/.keras/keras.json is not ' +
              "read): the code asks image_data_format()",
          ]
        : []),
    ];
  }
}

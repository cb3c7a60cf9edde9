/**
 * What a Keras source asks that its file does not decide: the backend (`keras.backend.backend()`,
 * `keras.config.backend()`, set by KERAS_BACKEND or ~/.keras/keras.json where it runs) and the image data
 * format (`image_data_format()`, from keras.json). Each is answered with the chosen or default value, and an
 * answer used becomes a note on the model, so the assumption is visible.
 */
import { str, type PyValue } from "./values";

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

  constructor(public choice: KerasBackendChoice = DEFAULT_KERAS_BACKEND) {}

  /** `backend()`: the chosen backend's name. */
  backend(): PyValue {
    this.backendAsked = true;
    return str(this.choice.name);
  }

  /** `image_data_format()`: Keras's default; ~/.keras/keras.json is not read. */
  imageDataFormat(): PyValue {
    this.formatAsked = true;
    return str("channels_last");
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

/**
 * Shapes of Keras tensors while the source runs — `x.shape`, `backend.int_shape(x)`, `ops.shape(x)` — as
 * Keras knows them at call time: the layers applied so far are built and their shapes inferred. Keras
 * applications read them to size layers (`inputs.shape[-1]` channels) and in `imagenet_utils.correct_pad`.
 */
import { KerasBuildError, buildKerasTensors } from "../keras/kerasBuild";
import type { KNode, KerasModel } from "../keras/kerasModel";
import { GraphBuilder } from "./graphBuilder";
import {
  NONE,
  int,
  iterate,
  num,
  tuple,
  unknown,
  type CallArgs,
  type PyTensor,
  type PyValue,
} from "./values";

/**
 * Shapes of the tensors of a graph that grows while the source runs. Each node is built once, however
 * often the source asks (InceptionResNetV2 and NASNet ask at every block: rebuilding the whole graph
 * each time took seconds); after an error the next question builds afresh.
 */
export class KerasShapes {
  private b = new GraphBuilder();
  private memo = new Map<KNode, PyTensor[]>();

  /** The shape tuple of the model's one output: the batch and any size not known are None, as in Keras. */
  tuple(m: KerasModel): PyValue {
    let shape;
    try {
      shape = buildKerasTensors(m, this.b, this.memo)[0]?.state.shape;
    } catch (e) {
      this.b = new GraphBuilder();
      this.memo = new Map();
      if (!(e instanceof KerasBuildError)) throw e;
      return unknown(`the shape of a Keras tensor is not known: ${e.message}`);
    }
    if (!shape) return unknown("the shape of a Keras tensor is not known: a layer before it is unknown");
    return tuple(shape.map((d, i) => (i > 0 && typeof d === "number" ? int(d) : NONE)));
  }
}

/**
 * `imagenet_utils.correct_pad(inputs, kernel_size)` as Keras defines it (channels-last): the
 * ((top, bottom), (left, right)) zero padding that makes a stride-2 "valid" convolution match TF's "same".
 */
export function correctPad(a: CallArgs, shapeOf: (v: PyValue) => PyValue): PyValue {
  const inputs = a.args[0] ?? a.kwargs.get("inputs") ?? NONE;
  const kernel = a.args[1] ?? a.kwargs.get("kernel_size") ?? NONE;
  const shape = shapeOf(inputs);
  if (shape.t === "unknown") return shape;
  const dims = iterate(shape) ?? [];
  const k = num(kernel) !== undefined ? [num(kernel), num(kernel)] : (iterate(kernel) ?? []).map(num);
  const [kh, kw] = k;
  if (kh === undefined || kw === undefined) return unknown("correct_pad: kernel_size is not a constant");
  const [h, w] = [dims[1], dims[2]].map((d) => (d ? num(d) : undefined));
  // An unknown spatial size pads as Keras does for None: (1, 1) adjust.
  const adjust = h === undefined || w === undefined ? [1, 1] : [1 - (h % 2), 1 - (w % 2)];
  const [ah = 1, aw = 1] = adjust;
  const [ch, cw] = [Math.floor(kh / 2), Math.floor(kw / 2)];
  return tuple([tuple([int(ch - ah), int(ch)]), tuple([int(cw - aw), int(cw)])]);
}

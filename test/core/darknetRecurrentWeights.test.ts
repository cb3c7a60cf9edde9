/**
 * Darknet .weights into recurrent sections ([rnn], [crnn], AlexeyAB's [conv_lstm], with a
 * [history] and a batch-normalised [connected] between them): loaded in load_weights_upto's order and
 * run by onnxruntime-node to the output of Darknet's C code written out in PyTorch
 * (tools/make_darknet_recurrent_weights.py, one step from the zero state). [gru] and [lstm], whose
 * inner layers the Darknets write in different orders (no header or cfg key tells which), are refused
 * with the reason; an [lstm] with its tensors set by name runs to PyTorch's output
 * (tools/make_darknet_lstm_run.py).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { readDarknet } from "../../src/core/formats/darknet/darknetReader";
import { applyDarknetWeights } from "../../src/core/formats/darknet/darknetWeights";
import { buildRunnable } from "../../src/core/onnx/runnable";

const DN = resolve(__dirname, "../fixtures/darknet");
const cfg = (text: string) => readDarknet(new TextEncoder().encode(text));

/** Runs a runnable model on one input; its first output's values. */
async function run(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ input: new ort.Tensor("float32", x, shape) });
  return Array.from(out[session.outputNames[0] ?? ""]?.data as Float32Array);
}

describe("Darknet .weights into recurrent sections", () => {
  it("loads [crnn], [conv_lstm] and [rnn] in Darknet's order and runs to PyTorch's output", async () => {
    const model = readDarknet(readFileSync(resolve(DN, "recurrent-weights.cfg")));
    const { model: loaded, loaded: count } = applyDarknetWeights(
      model,
      readFileSync(resolve(DN, "recurrent-weights.weights")),
    );
    // conv (5) + crnn 3×5 + conv_lstm 11×5 + conv_lstm 8×2 + connected 5 + rnn 3×5 + connected 2.
    expect(count).toBe(5 + 15 + 55 + 16 + 5 + 15 + 2);
    const runnable = buildRunnable(loaded);
    expect(runnable.randomWeights).toBe(false);
    const n = 2 * 6 * 6;
    const x = Float32Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));
    const got = await run(runnable.bytes, x, [1, 2, 6, 6]);
    const want = (
      JSON.parse(readFileSync(resolve(DN, "recurrent-weights.weights.output.json"), "utf8")) as {
        output: number[];
      }
    ).output;
    expect(got).toHaveLength(want.length);
    want.forEach((v, i) => expect(Math.abs((got[i] ?? NaN) - v)).toBeLessThan(1e-5));
  });

  it("a file with its tensors misplaced gives another output (the order is what is checked)", async () => {
    const bytes = new Uint8Array(readFileSync(resolve(DN, "recurrent-weights.weights")));
    // Swap the first two floats of the [crnn]'s input layer biases (after the header and layer 0).
    const at = 20 + 4 * (4 + 4 * 3 + 4 * 2 * 9);
    const swapped = bytes.slice();
    swapped.set(bytes.subarray(at + 4, at + 8), at);
    swapped.set(bytes.subarray(at, at + 4), at + 4);
    const model = readDarknet(readFileSync(resolve(DN, "recurrent-weights.cfg")));
    const x = new Float32Array(72).fill(0.5);
    const a = await run(buildRunnable(applyDarknetWeights(model, bytes).model).bytes, x, [1, 2, 6, 6]);
    const b = await run(buildRunnable(applyDarknetWeights(model, swapped).model).bytes, x, [1, 2, 6, 6]);
    expect(a).not.toEqual(b);
  });

  it("refuses [gru] and [lstm] weights: inner layers in other orders, no header or cfg says which", () => {
    const gru = cfg("[net]\ninputs=4\n[gru]\noutput=2\n");
    expect(() => applyDarknetWeights(gru, new Uint8Array(20 + 4 * 48))).toThrow(
      /cannot load Darknet \.weights into the \[gru\] at layer 0: pjreddie's Darknet writes wz, wr, wh/,
    );
    // pjreddie's save_weights_upto writes the header 0.2.0 whatever it saves; AlexeyAB's its build's
    // version. The reason names the file's header and that the cfg keys do not decide either.
    const header = new Uint8Array(new Int32Array([0, 2, 0, 0, 0]).buffer);
    const lstm = cfg("[net]\ninputs=4\n[lstm]\noutput=2\n");
    expect(() => applyDarknetWeights(lstm, header)).toThrow(
      /\[lstm\] at layer 0: .*AlexeyAB's wf, wi, wg, wo.*header 0\.2\.0 is a version no Darknet reads .*/,
    );
    expect(() => applyDarknetWeights(lstm, header)).toThrow(
      /the cfg's \[lstm\] keys are the same in both\)\.$/,
    );
  });

  it("transposes connected weights where the header says they are stored transposed (major or minor > 1000)", async () => {
    const model = cfg("[net]\ninputs=3\n[connected]\noutput=2\nactivation=linear\n");
    const header = new Int32Array([0, 1001, 0, 0, 0]); // seen is 64-bit from format 0.2 on
    // biases 0, 0; weights stored [inputs][outputs]: W = [[1, 2, 3], [4, 5, 6]] as 1,4,2,5,3,6.
    const body = new Float32Array([0, 0, 1, 4, 2, 5, 3, 6]);
    const bytes = new Uint8Array([...new Uint8Array(header.buffer), ...new Uint8Array(body.buffer)]);
    const { model: loaded } = applyDarknetWeights(model, bytes);
    expect(await run(buildRunnable(loaded).bytes, new Float32Array([1, 1, 1]), [1, 3])).toEqual([6, 15]);
  });

  it("the Run tab still refuses a [gru] (its h̃ activation differs by version) and an [rnn] with logistic=", () => {
    expect(() => buildRunnable(cfg("[net]\ninputs=4\n[gru]\noutput=2\n"))).toThrow(
      /layer "0" \(GRU\) has no ONNX operator/,
    );
    const rnn = cfg("[net]\ninputs=4\n[rnn]\noutput=2\nhidden=2\nlogistic=1\n");
    expect(() => buildRunnable(rnn)).toThrow(/layer "0" \(RNN\): its logistic= is read by AlexeyAB's/);
  });

  it("runs an [lstm] one step from the zero state to PyTorch's output (tensors put in by name)", async () => {
    const ref = JSON.parse(readFileSync(resolve(DN, "lstm-run.json"), "utf8")) as {
      cfg: string;
      input: number[];
      tensors: Record<string, number[]>;
      output: number[];
    };
    const model = cfg(ref.cfg);
    const initializers = new Map(model.graph.initializers);
    for (const [name, values] of Object.entries(ref.tensors)) {
      const t = initializers.get(name);
      if (!t) throw new Error(`no initializer ${name}`);
      const bytes = new Uint8Array(Float32Array.from(values).buffer);
      initializers.set(name, { ...t, storage: { kind: "inline", bytes } });
    }
    expect(initializers.size).toBe(Object.keys(ref.tensors).length);
    const runnable = buildRunnable({ ...model, graph: { ...model.graph, initializers } });
    expect(runnable.randomWeights).toBe(false);
    const got = await run(runnable.bytes, Float32Array.from(ref.input), [1, ref.input.length]);
    expect(got).toHaveLength(ref.output.length);
    ref.output.forEach((v, i) => expect(Math.abs((got[i] ?? NaN) - v)).toBeLessThan(1e-5));
  });
});

/**
 * pytorch/examples and pytorch/tutorials scripts, code nobody on this team wrote, opened as a
 * user opens them: the script file itself is analysed (argparse, datasets, training loops at
 * module level included) and its model class compared with PyTorch's numbers for the model the
 * script builds, on the input the script feeds it (tools/make_examples_refs.py says which).
 *
 * When the input ConvLens takes for the class (from the script's own call, or assumed) is not
 * the one the script feeds, the numbers as opened cannot be compared: that is reported as an
 * unknown, and the class is analysed again with the fed input forced (as `--input-shape`
 * would), whose numbers must not be wrong either.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ParsedModules } from "../../../src/core/formats/python/moduleLoader";
import { analyzePythonSource, type TracedClass } from "../../../src/core/formats/python/pythonModel";
import { describeCorpus, files } from "./corpusSuite";
import {
  compareRefused,
  compareWithTorch,
  isRefused,
  type CorpusCall,
  type CorpusResult,
  type TorchvisionExpected,
} from "./torchvisionCorpus";

const THIRD_PARTY = resolve(__dirname, "../../fixtures/third_party");
const CORPUS = resolve(THIRD_PARTY, "pytorch-examples");

/** Models that must be "exact" (add one as soon as it is; never remove one). */
const EXACT: readonly string[] = [
  "beginner_source_basics_buildmodel_tutorial_NeuralNetwork",
  "beginner_source_blitz_cifar10_tutorial_Net",
  "beginner_source_blitz_neural_networks_tutorial_Net",
  "beginner_source_dcgan_faces_tutorial_Discriminator",
  "beginner_source_dcgan_faces_tutorial_Generator",
  "intermediate_source_spatial_transformer_tutorial_Net",
  "mnist_main_Net",
  "vae_main_VAE",
  "reinforcement_learning_reinforce_Policy",
];

interface ScriptModel extends CorpusCall {
  /** The script under the corpus folder, and the model's class in it. */
  readonly script: string;
  readonly class: string;
}

function classOf(
  expected: ScriptModel,
  parsedModules: ParsedModules,
  forced?: readonly number[],
): TracedClass | undefined {
  const fileName = resolve(CORPUS, expected.script);
  const source = readFileSync(fileName, "utf8");
  // torchvision as site-packages would hold it (the copy has no datasets/: those imports fail)
  const options = {
    fileName,
    files,
    parsedModules,
    pythonPath: [THIRD_PARTY],
    ...(forced ? { forcedInputShapes: { [expected.class]: forced } } : {}),
  };
  const result = analyzePythonSource(source, options);
  return result.classes.find((c) => c.name === expected.class && c.kind !== "instance");
}

function sameShape(a: readonly unknown[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);
}

function analyseScript(call: CorpusCall, parsedModules: ParsedModules): CorpusResult {
  const expected = call as ScriptModel;
  const opened = classOf(expected, parsedModules);
  if (isRefused(expected)) return compareRefused(opened, expected);
  const torch = expected as ScriptModel & TorchvisionExpected;
  const why = (c: TracedClass | undefined): string =>
    c ? (c.error ?? "no analysis") : `no class ${expected.class} in the analysis`;
  if (sameShape(opened?.input?.shape, torch.input_shape))
    return compareWithTorch(opened?.analysis, torch, why(opened));
  const forced = classOf(expected, parsedModules, torch.input_shape);
  const r = compareWithTorch(forced?.analysis, torch, why(forced));
  const input = opened?.input
    ? `${opened.input.shape.join("×")} (${opened.input.source})`
    : `none (${why(opened)})`;
  const note = `as opened, the input is ${input}; the script feeds ${torch.input_shape.join("×")}`;
  return {
    status: r.status === "exact" ? "unknown" : r.status,
    mismatches: r.mismatches,
    unknowns: [note, ...r.unknowns],
  };
}

describeCorpus({
  title: "pytorch-examples corpus",
  expectedDir: resolve(THIRD_PARTY, "pytorch-examples-expected"),
  pythonPath: CORPUS,
  exact: EXACT,
  minBuilders: 13,
  analyse: analyseScript,
});

/**
 * Part of `npm run bench`: reading and analysing the other formats (Caffe, Darknet, TFLite, Keras
 * definitions) and reading + applying weight files beside a model (.pth, .caffemodel,
 * Darknet .weights, .safetensors), median of several runs each, as a Markdown table.
 */
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { analyzeModel } from "../src/core/analysis/analyze";
import { readModel } from "../src/core/formats/registry";
import { loadWeightsBeside } from "../src/core/formats/weights/beside";
import { analyzePythonSource } from "../src/core/formats/python/pythonModel";

const FIX = resolve(__dirname, "../test/fixtures");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function time(fn: () => unknown, runs: number): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

export async function benchFormats(): Promise<void> {
  console.log("\nOther formats: read + analyse, ms (median of 9):");
  console.log("| file | layers (nodes) | read | analyse |");
  console.log("|---|---:|---:|---:|");
  for (const rel of [
    "caffe/googlenet_deploy.prototxt",
    "caffe/resnet50_deploy.prototxt",
    "caffe/caffenet_train_val.prototxt",
    "caffe/opencv_face_detector_deploy.prototxt",
    "caffe/densenet_floor_pools.prototxt",
    "caffe/sequence_layers.prototxt",
    "caffe/mobilenet_ssd_deploy.prototxt",
    "darknet/darknet19.cfg",
    "darknet/yolov3-tiny.cfg",
    "darknet/resnet50.cfg",
    "darknet/yolov1.cfg",
    "darknet/rnn.cfg",
    "tflite/mobilenet_block.tflite",
    "tflite/int8_convnet.tflite",
    "tflite/published/face_detection_short_range.tflite",
    "tflite/published/selfie_segmentation.tflite",
    "keras/imdb_bilstm.keras",
    "keras/toy_resnet.json",
    "keras/mnist_convnet.h5",
  ]) {
    const file = resolve(FIX, rel);
    const bytes = readFileSync(file);
    const model = readModel(file, bytes, { siblingExists: () => false });
    const read = await time(() => readModel(file, bytes, { siblingExists: () => false }), 9);
    const analyse = await time(() => analyzeModel(model, { modelName: basename(file) }), 9);
    console.log(`| ${rel} | ${model.graph.nodes.length} | ${read.toFixed(2)} | ${analyse.toFixed(2)} |`);
  }
  const vgg = readFileSync(resolve(FIX, "python/keras_vgg.py"), "utf8");
  const src = await time(() => analyzePythonSource(vgg, { fileName: "keras_vgg.py" }), 9);
  console.log(`| python/keras_vgg.py (Keras source, parse + interpret + analyse) | | | ${src.toFixed(2)} |`);
  const app = readFileSync(resolve(FIX, "python/keras_app_vgg16.py"), "utf8");
  const appMs = await time(() => analyzePythonSource(app, { fileName: "keras_app_vgg16.py" }), 9);
  console.log(
    `| python/keras_app_vgg16.py (applications-style builder, two models) | | | ${appMs.toFixed(2)} |`,
  );
  // Keras's own application files (keras/src/applications, one appended line builds the model): the
  // model found, its layers and params as the bench reads them (Keras's summary: keras.json beside).
  for (const f of ["resnet.py", "mobilenet_v2.py"]) {
    const text = readFileSync(resolve(FIX, "keras/published", f), "utf8");
    const found = analyzePythonSource(text, { fileName: f }).classes.find((c) => c.analysis);
    const ms = await time(() => analyzePythonSource(text, { fileName: f }), 5);
    const what = `${found?.name ?? "no model"}, ${found?.analysis?.totals.params ?? "?"} params`;
    const layers = found?.analysis?.layers.length ?? "";
    const row = `keras/published/${f} (Keras application: ${what}; parse + interpret + analyse, median of 5)`;
    console.log(`| ${row} | ${layers} | | ${ms.toFixed(2)} |`);
  }

  console.log("\nWeight files beside a model: read + match + apply, ms (median of 9):");
  console.log("| model | weight file | KiB | ms | loaded |");
  console.log("|---|---|---:|---:|---:|");
  const lenet = analyzePythonSource(
    readFileSync(resolve(__dirname, "../../shared/fixtures/definitions/custom_models.py"), "utf8"),
    {
      fileName: "custom_models.py",
    },
  ).classes.find((c) => c.name === "LeNet5")?.model;
  const cases: [string, string, string][] = [
    ["caffe/mini_inception.prototxt", "caffe/mini_inception.caffemodel", "caffe"],
    ["darknet/weights-net.cfg", "darknet/weights-net.weights", "darknet"],
  ];
  for (const [def, weights, format] of cases) {
    const model = readModel(resolve(FIX, def), readFileSync(resolve(FIX, def)), {
      siblingExists: () => false,
    });
    const bytes = readFileSync(resolve(FIX, weights));
    const read = (f: string) => Promise.resolve(f === basename(weights) ? bytes : undefined);
    const r = await loadWeightsBeside(model, format, def, read);
    const ms = await time(() => loadWeightsBeside(model, format, def, read), 9);
    console.log(
      `| ${def} | ${basename(weights)} | ${(bytes.byteLength / 1024).toFixed(0)} | ${ms.toFixed(2)} | ${r.report?.loaded ?? 0} |`,
    );
  }
  if (lenet) {
    for (const w of ["python/lenet5.safetensors", "weights/lenet5_fp16.pth", "weights/nested_deflate.pth"]) {
      const bytes = readFileSync(resolve(FIX, w));
      const name = `LeNet5${w.slice(w.lastIndexOf("."))}`;
      const read = (f: string) => Promise.resolve(f === name ? bytes : undefined);
      const r = await loadWeightsBeside(lenet, "python", "LeNet5.py", read);
      const ms = await time(() => loadWeightsBeside(lenet, "python", "LeNet5.py", read), 9);
      console.log(
        `| LeNet5 (source) | ${basename(w)} | ${(bytes.byteLength / 1024).toFixed(0)} | ${ms.toFixed(2)} | ${r.report?.loaded ?? 0} |`,
      );
    }
  }
}

/** The CLI on the same core: the fixture JSON schema, formats, and exit codes. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main, parseShape } from "../../src/cli";

const MODELS = resolve(__dirname, "../../../shared/fixtures/models");
let out = "";
let err = "";

beforeEach(() => {
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

describe("convlens summary", () => {
  it("prints the fixture schema as JSON", async () => {
    expect(await main(["summary", `${MODELS}/lenet5.onnx`, "--format", "json"])).toBe(0);
    const j = JSON.parse(out) as Record<string, unknown> & {
      totals: Record<string, unknown>;
      layers: Record<string, unknown>[];
    };
    expect(Object.keys(j)).toEqual(["model", "input_shape", "totals", "layers"]);
    expect(Object.keys(j.totals)).toEqual(["params", "macs", "flops", "activation_bytes"]);
    expect(Object.keys(j.layers[0] ?? {})).toEqual(["name", "type", "output_shape", "params", "macs", "rf"]);
    expect(j["model"]).toBe("lenet5");
    expect(j.totals["params"]).toBe(61706);
  });

  it("overrides the input shape", async () => {
    expect(
      await main(["summary", `${MODELS}/resnet18.onnx`, "--input-shape", "2x3x224x224", "--format", "json"]),
    ).toBe(0);
    const j = JSON.parse(out) as { input_shape: number[]; totals: { macs: number } };
    expect(j.input_shape).toEqual([2, 3, 224, 224]);
    expect(j.totals.macs).toBe(2 * 1814073344);
  });

  it.each(["table", "csv", "md"])("prints --format %s", async (format) => {
    expect(await main(["summary", `${MODELS}/resnet18.onnx`, "--format", format])).toBe(0);
    expect(out).toContain("layer4.1.conv2");
    expect(out).toContain("435");
  });

  it.each([
    [["summary", "/nonexistent.onnx"], /no such file/],
    [["summary", resolve(__dirname, "../fixtures/bad/empty.onnx")], /empty/],
    [["summary", `${MODELS}/lenet5.onnx`, "--format", "xml"], /unknown --format/],
    [["summary", `${MODELS}/lenet5.onnx`, "--input-shape", "1xx3"], /bad --input-shape/],
    [["frobnicate"], /usage/],
  ])("exits 2 with one message: %j", async (args, message) => {
    expect(await main(args)).toBe(2);
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("parses symbolic shapes", () => {
    expect(parseShape("Bx3x224x224")).toEqual(["B", 3, 224, 224]);
  });
});

describe("convlens summary of framework definitions: one row per framework layer", () => {
  const FIXTURES = resolve(__dirname, "../fixtures");
  it("a Keras file lists its layers as model.summary() does (keras.io's published numbers)", async () => {
    const published = JSON.parse(readFileSync(`${FIXTURES}/keras/imdb_bilstm.published.json`, "utf8")) as {
      layers: { name: string; type: string; params: number }[];
    };
    expect(await main(["summary", `${FIXTURES}/keras/imdb_bilstm.keras`, "--format", "json"])).toBe(0);
    const got = (JSON.parse(out) as { layers: { name: string; type: string; params: number }[] }).layers;
    const want = published.layers.filter((l) => l.type !== "InputLayer");
    expect(got.map((l) => [l.name, l.type, l.params])).toEqual(want.map((l) => [l.name, l.type, l.params]));
  });

  it("a Darknet cfg lists its sections by index, in the table too", async () => {
    const expected = JSON.parse(
      readFileSync(`${FIXTURES}/darknet/tiny-classifier.expected.json`, "utf8"),
    ) as {
      layers: { name: string; type: string; output_shape: number[]; params: number; macs: number }[];
    };
    expect(await main(["summary", `${FIXTURES}/darknet/tiny-classifier.cfg`, "--format", "json"])).toBe(0);
    const got = (
      JSON.parse(out) as {
        layers: { name: string; type: string; output_shape: number[]; params: number; macs: number }[];
      }
    ).layers;
    expect(got.map((l) => [l.name, l.type, l.output_shape, l.params, l.macs])).toEqual(
      expected.layers.map((l) => [l.name, l.type, l.output_shape, l.params, l.macs]),
    );
    out = "";
    expect(await main(["summary", `${FIXTURES}/darknet/tiny-classifier.cfg`])).toBe(0);
    const rows = out.split("\n").filter((line) => /^\d+\s/.test(line));
    expect(rows.map((r) => r.split(/\s+/).slice(0, 2))).toEqual(expected.layers.map((l) => [l.name, l.type]));
    // Opset belongs to ONNX files only; a cfg is not "opset 17".
    expect(out.split("\n")[0]).toBe("model tiny-classifier (darknet, weightless)");
  });

  it("names the opset in the header of an ONNX file, and takes --format markdown for md", async () => {
    expect(await main(["summary", `${MODELS}/lenet5.onnx`, "--format", "markdown"])).toBe(0);
    const md = out;
    out = "";
    expect(await main(["summary", `${MODELS}/lenet5.onnx`, "--format", "md"])).toBe(0);
    expect(md).toBe(out);
    expect(md).toContain("| c1 | Conv | 1×6×28×28 | 156 | 117600 |");
    out = "";
    expect(await main(["summary", `${MODELS}/lenet5.onnx`])).toBe(0);
    expect(out.split("\n")[0]).toMatch(/^model lenet5 \(onnx, opset \d+\)$/);
  });
});

describe("convlens explain", () => {
  const FIX = resolve(__dirname, "../../../shared/fixtures");

  it("prints Grad-CAM as {method, shape, data} matching PyTorch", async () => {
    const code = await main([
      "explain",
      `${FIX}/models/shapes_cnn.onnx`,
      "--input",
      `${FIX}/images/shape_4_triangle.png`,
      "--method",
      "gradcam",
      "--layer",
      "relu3",
      "--format",
      "json",
    ]);
    expect(code).toBe(0);
    const j = JSON.parse(out) as { method: string; shape: number[]; data: number[] };
    expect(j.method).toBe("gradcam");
    expect(j.shape).toEqual([16, 16]);
    const ref = readFileSync(`${FIX}/expected/backward/shapes_cnn_img0_gradcam.bin`);
    const want = new Float32Array(ref.buffer.slice(ref.byteOffset, ref.byteOffset + ref.byteLength));
    const max = Math.max(...want);
    want.forEach((v, i) => expect(Math.abs((j.data[i] ?? NaN) - v)).toBeLessThan(1e-3 * max));
  });

  it.each(["native", "wasm"])("saliency on --backend %s matches PyTorch", async (backend) => {
    const args = [
      "explain",
      `${FIX}/models/shapes_cnn.onnx`,
      "--input",
      `${FIX}/images/shape_4_triangle.png`,
    ];
    expect(await main([...args, "--method", "saliency", "--backend", backend, "--format", "json"])).toBe(0);
    const j = JSON.parse(out) as { data: number[] };
    const ref = readFileSync(`${FIX}/expected/backward/shapes_cnn_img0_saliency.bin`);
    const want = new Float32Array(ref.buffer.slice(ref.byteOffset, ref.byteOffset + ref.byteLength));
    const max = Math.max(...Array.from(want, Math.abs));
    expect(j.data).toHaveLength(want.length);
    want.forEach((v, i) => expect(Math.abs((j.data[i] ?? NaN) - v)).toBeLessThan(1e-3 * max));
  });

  it("keeps the effective receptive field inside the theoretical one", async () => {
    // resnet18 layer2.1.conv2: theoretical RF from the fixture; its centre unit's gradient must vanish
    // outside it.
    const expected = JSON.parse(readFileSync(`${FIX}/expected/resnet18.json`, "utf8")) as {
      layers: {
        name: string;
        output_shape: number[];
        rf: { size: number[]; stride: number[]; start: number[] } | null;
      }[];
    };
    const layer = expected.layers.find((l) => l.name === "layer2.1.conv2");
    expect(
      await main([
        "explain",
        `${FIX}/models/resnet18.onnx`,
        "--method",
        "erf",
        "--layer",
        "layer2.1.conv2",
        "--format",
        "json",
      ]),
    ).toBe(0);
    const j = JSON.parse(out) as { shape: number[]; data: number[] };
    // The mean |gradient| per input element, [1, C, H, W]: summed over channels here.
    const [, channels = 0, h = 0, w = 0] = j.shape;
    const plane = (y: number, x: number) =>
      Array.from({ length: channels }, (_, c) => j.data[(c * h + y) * w + x] ?? 0).reduce((a, b) => a + b);
    const rf = layer?.rf;
    const c = Math.floor((layer?.output_shape[2] ?? 0) / 2);
    const lo = (rf?.start[0] ?? 0) + c * (rf?.stride[0] ?? 1);
    const hi = lo + (rf?.size[0] ?? 0) - 1;
    let inside = 0,
      outside = 0;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const v = plane(y, x);
        if (y >= lo && y <= hi && x >= lo && x <= hi) inside += v;
        else outside += v;
      }
    expect(inside).toBeGreaterThan(0);
    expect(outside).toBe(0);
  });

  it("says which op has no backward rule", async () => {
    expect(await main(["explain", `${FIX}/models/lstm_classifier.onnx`, "--method", "erf"])).toBe(2);
    expect(err).toMatch(/explain needs a model with one image input/);
  });
});

describe("convlens summary MODEL.py", () => {
  const FIX = resolve(__dirname, "../../../shared/fixtures");
  const CASES: [string, string, string][] = [
    [`${FIX}/definitions/custom_models.py`, "LeNet5", "lenet5"],
    [`${FIX}/definitions/custom_models.py`, "TextCNN", "textcnn"],
    [`${FIX}/definitions/custom_models.py`, "UNetSmall", "unet_small"],
    [`${FIX}/definitions/custom_models.py`, "LSTMClassifier", "lstm_classifier"],
    [resolve(__dirname, "../fixtures/python/torchvision_style.py"), "ResNet18", "resnet18"],
  ];
  it.each(CASES)(
    "%s --class %s matches expected/%s.json (leaf modules in call order)",
    async (file, cls, name) => {
      const exp = JSON.parse(readFileSync(`${FIX}/expected/${name}.json`, "utf8")) as {
        input_shape: number[];
        totals: { params: number; macs: number };
        layers: { name: string; type: string; output_shape: number[]; params: number; macs: number }[];
      };
      expect(
        await main([
          "summary",
          file,
          "--class",
          cls,
          "--input-shape",
          exp.input_shape.join("x"),
          "--format",
          "json",
        ]),
      ).toBe(0);
      const j = JSON.parse(out) as {
        totals: { params: number; macs: number };
        layers: { name: string; type: string; output_shape: number[]; params: number; macs: number }[];
      };
      expect(j.totals.params).toBe(exp.totals.params);
      expect(Math.abs(j.totals.macs - exp.totals.macs) / exp.totals.macs).toBeLessThan(0.005);
      expect(j.layers.map((l) => l.name)).toEqual(exp.layers.map((l) => l.name));
      j.layers.forEach((l, i) => {
        expect(l.output_shape).toEqual(exp.layers[i]?.output_shape);
        expect(l.type).toBe(exp.layers[i]?.type);
        expect(l.params).toBe(exp.layers[i]?.params);
      });
    },
  );

  it("prints shape errors with their line and exits 2", async () => {
    const file = resolve(__dirname, "../fixtures/python/broken_linear.py");
    expect(await main(["summary", file])).toBe(2);
    expect(err).toMatch(/broken_linear\.py:16: error: Linear expects 9216 input features but receives 10816/);
  });

  it("reads a notebook's code cells as one program, and names the cell in its messages", async () => {
    const dir = mkdtempSync(join(tmpdir(), "convlens-nb-"));
    const cell = (source: string, kind = "code") => ({ cell_type: kind, metadata: {}, source });
    const nb = {
      cells: [
        cell("import torch\nfrom torch import nn"),
        cell("# notes", "markdown"),
        cell(
          "model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(10, 2))\nmodel(torch.randn(1, 3, 8, 8))",
        ),
      ],
      metadata: { language_info: { name: "python" } },
      nbformat: 4,
    };
    writeFileSync(join(dir, "nb.ipynb"), JSON.stringify(nb));
    expect(await main(["summary", join(dir, "nb.ipynb")])).toBe(2);
    expect(err).toMatch(/nb\.ipynb:cell 3:1: error: Linear expects 10 input features but receives 288/);
    writeFileSync(join(dir, "bad.ipynb"), "{ not json");
    expect(await main(["summary", join(dir, "bad.ipynb")])).toBe(2);
    expect(err).toMatch(/convlens: not a Jupyter notebook \(invalid JSON/);
    expect(err.trim().split("\n").at(-1)).toMatch(/^convlens: /);
  });

  it("asks for --class when a file has several models", async () => {
    expect(await main(["summary", `${FIX}/definitions/custom_models.py`])).toBe(2);
    expect(err).toMatch(/choose a model with --class \(models: LeNet5, AlphaGoPolicy/);
  });
});

describe("convlens run", () => {
  const FIX = resolve(__dirname, "../../../shared/fixtures");
  const preds = JSON.parse(readFileSync(`${FIX}/expected/shapes_cnn_predictions.json`, "utf8")) as {
    samples: { file: string; label: number; logits: number[] }[];
  };

  it.each(preds.samples.slice(0, 4).flatMap((s, i) => [[s.file, i % 2 ? "wasm" : "native", s] as const]))(
    "shapes_cnn on %s (%s): PyTorch's logits and class",
    async (_f, backend, sample) => {
      expect(
        await main([
          "run",
          `${FIX}/models/shapes_cnn.onnx`,
          "--input",
          `${FIX}/${sample.file}`,
          "--backend",
          backend,
          "--format",
          "json",
        ]),
      ).toBe(0);
      const r = JSON.parse(out) as {
        backend: string;
        output_shape: number[];
        logits: number[];
        top: { index: number }[];
        randomWeights: boolean;
      };
      expect(r.backend).toBe(backend);
      expect(r.randomWeights).toBe(false);
      expect(r.top[0]?.index).toBe(sample.label);
      sample.logits.forEach((v, i) => expect(Math.abs((r.logits[i] ?? NaN) - v)).toBeLessThan(1e-4));
    },
  );

  it("auto runs on the host engine; an unknown backend is a usage error", async () => {
    expect(await main(["run", `${FIX}/models/lenet5_digits.onnx`, "--format", "json"])).toBe(0);
    expect((JSON.parse(out) as { backend: string }).backend).toBe("native");
    expect(await main(["run", `${FIX}/models/lenet5_digits.onnx`, "--backend", "cuda"])).toBe(2);
    expect(err).toMatch(/--backend must be auto, native or wasm/);
  });

  it("runs a weightless model on generated weights, the same twice", async () => {
    expect(await main(["run", `${FIX}/models/alexnet.onnx`, "--format", "json"])).toBe(0);
    const a = JSON.parse(out) as { logits: number[]; randomWeights: boolean };
    out = "";
    expect(await main(["run", `${FIX}/models/alexnet.onnx`, "--format", "json"])).toBe(0);
    const b = JSON.parse(out) as { logits: number[] };
    expect(a.randomWeights).toBe(true);
    expect(b.logits).toEqual(a.logits);
  });

  it("runs a Caffe prototxt with the .caffemodel beside it", async () => {
    const net = resolve(__dirname, "../fixtures/caffe/mini_inception.prototxt");
    expect(await main(["run", net, "--format", "json"])).toBe(0);
    const r = JSON.parse(out) as { randomWeights: boolean; weights?: string; output_shape: number[] };
    expect(r.randomWeights).toBe(false);
    expect(r.weights).toBe("weights loaded from mini_inception.caffemodel (9 layers).");
    expect(r.output_shape).toEqual([1, 5]);
  });

  it.each([
    [
      [
        "run",
        `${resolve(__dirname, "../../../shared/fixtures")}/models/lenet5.onnx`,
        "--input",
        "/nonexistent.png",
      ],
      /no such image/,
    ],
    [
      ["run", `${resolve(__dirname, "../../../shared/fixtures")}/models/lenet5.onnx`, "--input", __filename],
      /not a PNG/,
    ],
  ])("bad input: %j", async (args, message) => {
    expect(await main(args)).toBe(2);
    expect(err).toMatch(message);
  });
});

describe("convlens summary SCRIPT.py: the model a script builds", () => {
  const THIRD_PARTY = resolve(__dirname, "../fixtures/third_party");
  const TV = resolve(__dirname, "../fixtures/python/tv_resnet18.py");

  it("finds torchvision through --python-path and picks the script's only model", async () => {
    expect(await main(["summary", TV, "--python-path", THIRD_PARTY, "--format", "json"])).toBe(0);
    const j = JSON.parse(out) as {
      model: string;
      input_shape: number[];
      totals: { params: number; macs: number };
    };
    // torchvision's resnet18 (test/fixtures/third_party/torchvision-expected/resnet18.json).
    expect(j.model).toBe("model");
    expect(j.input_shape).toEqual([1, 3, 224, 224]);
    expect(j.totals.params).toBe(11689512);
    expect(j.totals.macs).toBe(1814073344);
  });

  it("selects an instance by its variable with --class, and --input-shape overrides the script's", async () => {
    const rel = relative(process.cwd(), TV);
    expect(
      await main([
        "summary",
        rel,
        "--python-path",
        THIRD_PARTY,
        "--class",
        "model",
        "--input-shape",
        "2x3x64x64",
        "--format",
        "json",
      ]),
    ).toBe(0);
    const j = JSON.parse(out) as { input_shape: number[]; totals: { params: number } };
    expect(j.input_shape).toEqual([2, 3, 64, 64]);
    expect(j.totals.params).toBe(11689512);
  });

  it("resolves a relative file path before following its relative imports", async () => {
    // torchvision/models/mobilenetv2.py imports `from ..ops.misc import Conv2dNormActivation`.
    const file = relative(process.cwd(), resolve(THIRD_PARTY, "torchvision/models/mobilenetv2.py"));
    expect(await main(["summary", file, "--class", "MobileNetV2", "--format", "json"])).toBe(0);
    // torchvision's mobilenet_v2: 3,504,872 params.
    expect((JSON.parse(out) as { totals: { params: number } }).totals.params).toBe(3504872);
  });

  it("says in one line which import is not available", async () => {
    const dir = mkdtempSync(join(tmpdir(), "convlens-cli-"));
    const script = join(dir, "script.py");
    writeFileSync(
      script,
      "import torch\nimport convlens_no_such_package as lib\nmodel = lib.build()\nmodel(torch.randn(1, 3, 8, 8))\n",
    );
    expect(await main(["summary", script])).toBe(2);
    expect(err.trim()).toBe(
      "convlens: model: cannot build model: module convlens_no_such_package is not available",
    );
  });
});

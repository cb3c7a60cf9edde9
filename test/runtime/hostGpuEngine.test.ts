/**
 * The host engine on the host's GPU is trusted per model only after its first run agrees with
 * the CPU. A fake GPU provider stands in for the cases this machine cannot show (no GPU here);
 * the real one is measured on a GPU machine by tools/gpu/nativeGpuBench.ts.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readOnnx } from "../../src/core/formats/onnx/reader";
import { buildRunnable } from "../../src/core/onnx/runnable";
import { HostGpuEngine, type ProviderEngine } from "../../src/runtime/hostGpuEngine";
import { loadNative, NativeEngine, type NativeRun } from "../../src/runtime/nativeEngine";

const FIXTURES = resolve(__dirname, "../../../shared/fixtures");
const native = loadNative();
if (!native.ok) throw new Error(native.why);
const bytes = buildRunnable(readOnnx(readFileSync(resolve(FIXTURES, "models/lenet5_digits.onnx")))).bytes;
const feeds = {
  input: { dtype: "float32" as const, dims: [1, 1, 32, 32], data: new Float32Array(1024).fill(0.25) },
};
const load = () => bytes;

/** A GPU provider that answers with the CPU's outputs changed by `change`, or throws `error`. */
function fakeGpu(
  cpu: NativeEngine,
  change: (v: number, i: number) => number,
  error?: string,
): ProviderEngine & { runs: number } {
  const fake = {
    runs: 0,
    async run(...args: Parameters<NativeEngine["run"]>): Promise<NativeRun> {
      fake.runs++;
      if (error !== undefined) throw new Error(error);
      const r = await cpu.run(...args);
      const outputs = new Map(
        [...r.outputs].map(([k, o]) => [k, { dims: o.dims, data: o.data.map(change) }]),
      );
      return { ...r, outputs };
    },
    drop: () => {},
    dispose: () => {},
  };
  return fake;
}

describe("host engine on the host's GPU", () => {
  it("a GPU that agrees with the CPU is used, checked on the first run only", async () => {
    const cpu = new NativeEngine(native.ort);
    const gpu = fakeGpu(new NativeEngine(native.ort), (v) => v * (1 + 1e-6));
    const engine = new HostGpuEngine(gpu, cpu);
    const first = await engine.run("lenet", load, feeds, ["output"]);
    expect(first.provider).toBe("webgpu");
    expect(first.note).toBe("on the host's GPU, checked against its CPU on the first run");
    const second = await engine.run("lenet", load, feeds, ["output"]);
    expect(second.provider).toBe("webgpu");
    expect(second.note).toBeUndefined();
    expect(gpu.runs).toBe(2);
  });

  it("a GPU that computes a model wrongly (onnxruntime-node's WebGPU on LeNet-5, measured on an H100) leaves that model on the CPU", async () => {
    const cpu = new NativeEngine(native.ort);
    const gpu = fakeGpu(new NativeEngine(native.ort), (v, i) => (i === 3 ? v + 1 : v));
    const engine = new HostGpuEngine(gpu, cpu);
    const first = await engine.run("lenet", load, feeds, ["output"]);
    const want = (await cpu.run("lenet", load, feeds, ["output"])).outputs.get("output")!.data;
    expect(first.provider).toBe("cpu");
    expect(Array.from(first.outputs.get("output")!.data)).toEqual(Array.from(want));
    expect(first.note).toMatch(
      /^on the CPU — the host GPU's "output" differed from its CPU's \(max diff 1\.00/,
    );
    const again = await engine.run("lenet", load, feeds, ["output"]);
    expect(again.provider).toBe("cpu");
    expect(gpu.runs).toBe(1); // not tried again for this model
  });

  it("without a GPU the CPU serves every model, said once", async () => {
    const gpu = fakeGpu(
      new NativeEngine(native.ort),
      (v) => v,
      "Failed to get a WebGPU adapter: No supported adapters",
    );
    const engine = new HostGpuEngine(gpu, new NativeEngine(native.ort));
    const first = await engine.run("a", load, feeds, ["output"]);
    expect(first).toMatchObject({
      provider: "cpu",
      note: "on the CPU — no GPU on the host (no WebGPU adapter: No supported adapters)",
    });
    const other = await engine.run("b", load, feeds, ["output"]);
    expect(other.provider).toBe("cpu");
    expect(other.note).toBeUndefined();
    expect(gpu.runs).toBe(1);
  });

  it("the real onnxruntime-node WebGPU provider on this machine: no adapter, so the CPU", async () => {
    const engine = HostGpuEngine.forOrt(native.ort);
    const r = await engine.run("lenet", load, feeds, ["output"]);
    expect(r.outputs.get("output")!.data).toHaveLength(10);
    if (r.provider === "cpu") expect(r.note).toMatch(/^on the CPU — no GPU on the host \(no WebGPU adapter/);
    engine.dispose();
  });
});

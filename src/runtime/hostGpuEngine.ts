/**
 * The host engine on the host's GPU: onnxruntime-node's bundled WebGPU provider (Dawn inside
 * onnxruntime, no browser), for Remote-SSH / code-server machines with a GPU. Measured on an
 * H100 it was 4× the 16-core CPU on VGG-16 — and computed LeNet-5 wrongly — so, like WebGL in
 * the webview, it is trusted per model only after its first run agrees with the CPU provider
 * on the same input; otherwise that model runs on the CPU and the result says why. Without an
 * adapter the first attempt fails and the CPU serves every model from then on.
 */
import type * as OrtNode from "onnxruntime-node";
import { NativeEngine, type ModelLoad, type NativeFeed, type NativeRun } from "./nativeEngine";
import { outputsAgree } from "./shared/outputsAgree";
import { runtimeErrorText } from "./shared/runtimeErrors";

export type HostProvider = "cpu" | "webgpu";

export interface HostRun extends NativeRun {
  readonly provider: HostProvider;
  /** For the user: why the GPU was not used, or that it was checked. */
  readonly note?: string;
}

type Ort = typeof OrtNode;

/** What the engine needs of a provider's engine (NativeEngine; a fake in tests). */
export type ProviderEngine = Pick<NativeEngine, "run" | "drop" | "dispose">;

export class HostGpuEngine {
  /** Why the GPU provider cannot run at all here (no adapter); null while it may. */
  private gpuMissing: string | null = null;
  /** Per model: true once the GPU agreed with the CPU, else why the GPU is not used for it. */
  private readonly verdicts = new Map<string, true | string>();

  constructor(
    private readonly gpu: ProviderEngine,
    private readonly cpu: ProviderEngine,
  ) {}

  static forOrt(ort: Ort): HostGpuEngine {
    return new HostGpuEngine(new NativeEngine(ort, ["webgpu"]), new NativeEngine(ort, ["cpu"]));
  }

  async run(
    key: string,
    load: ModelLoad,
    feeds: Readonly<Record<string, NativeFeed>>,
    fetches: readonly string[],
  ): Promise<HostRun> {
    const verdict = this.verdicts.get(key);
    if (this.gpuMissing === null && verdict !== undefined && verdict !== true) {
      return { ...(await this.cpu.run(key, load, feeds, fetches)), provider: "cpu", note: verdict };
    }
    if (this.gpuMissing !== null)
      return { ...(await this.cpu.run(key, load, feeds, fetches)), provider: "cpu" };
    try {
      const g = await this.gpu.run(key, load, feeds, fetches);
      if (verdict === true) return { ...g, provider: "webgpu" };
      // First run of this model on the GPU: the CPU's outputs decide whether it is trusted.
      const c = await this.cpu.run(key, load, feeds, fetches);
      for (const [name, ref] of c.outputs) {
        const a = outputsAgree(ref.data, g.outputs.get(name)?.data ?? []);
        if (!a.ok) {
          const why = `on the CPU — the host GPU's "${name}" differed from its CPU's (max diff ${a.maxDiff.toPrecision(3)} vs max |value| ${a.scale.toPrecision(3)})`;
          this.verdicts.set(key, why);
          this.gpu.drop(key);
          return { ...c, provider: "cpu", note: why };
        }
      }
      this.verdicts.set(key, true);
      return {
        ...g,
        provider: "webgpu",
        note: "on the host's GPU, checked against its CPU on the first run",
      };
    } catch (err) {
      const why = runtimeErrorText(err);
      this.gpu.drop(key);
      // No adapter (or no Vulkan/D3D/Metal at all) is the machine's, not the model's.
      if (/adapter|vulkan|webgpu context|device/i.test(why)) this.gpuMissing = why;
      else this.verdicts.set(key, `on the CPU — the host GPU failed on this model (${why})`);
      const c = await this.cpu.run(key, load, feeds, fetches);
      const note = this.verdicts.get(key);
      return {
        ...c,
        provider: "cpu",
        note: typeof note === "string" ? note : `on the CPU — no GPU on the host (${why})`,
      };
    }
  }

  dispose(): void {
    this.gpu.dispose();
    this.cpu.dispose();
  }
}

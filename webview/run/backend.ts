/**
 * Which onnxruntime-web backends to try, in order, and the WebGL self-check
 * (WebGL gave wrong results under SwiftShader: it is used only when its outputs
 * match wasm's). The plan and the comparison are pure; GPU detection needs a browser.
 */
import type { Backend } from "../../src/protocol/messages";

/** "real": a hardware WebGPU adapter; "fallback": a software one (SwiftShader); "none": no WebGPU. */
export type GpuKind = "real" | "fallback" | "none";

export interface BackendPlan {
  /** Tried in this order; session creation or run errors move to the next. */
  readonly order: readonly Backend[];
  /** Why the preferred backend is not first (shown to the user), or null. */
  readonly note: string | null;
}

/** The host engine as the runtime info describes it. */
export interface NativeInfo {
  readonly available: boolean;
  readonly why?: string;
}

/**
 * auto: WebGPU on a real GPU (software WebGPU is ~60× slower than wasm), then the host
 * engine (native, multi-threaded), then wasm in the webview. A forced backend falls back
 * to wasm, which runs everywhere.
 */
export function backendPlan(setting: "auto" | Backend, gpu: GpuKind, native: NativeInfo): BackendPlan {
  const host: Backend[] = native.available ? ["native"] : [];
  const noHost = `the host engine is not available${native.why !== undefined ? ` (${native.why})` : ""}: using wasm`;
  switch (setting) {
    case "wasm":
      return { order: ["wasm"], note: null };
    case "webgl":
      return { order: ["webgl", "wasm"], note: null };
    case "native":
      return native.available ? { order: ["native", "wasm"], note: null } : { order: ["wasm"], note: noHost };
    case "webgpu":
      return gpu === "none"
        ? { order: [...host, "wasm"], note: "WebGPU is not available here" }
        : { order: ["webgpu", "wasm"], note: null };
    case "auto":
      return { order: [...(gpu === "real" ? ["webgpu" as const] : []), ...host, "wasm"], note: null };
  }
}

// One comparison for every self-check (WebGL against wasm, the host GPU against its CPU).
export { outputsAgree, type Agreement } from "../../src/runtime/shared/outputsAgree";

export const BACKEND_LABEL: Readonly<Record<Backend, string>> = {
  webgpu: "WebGPU",
  native: "native CPU (extension host)",
  wasm: "wasm (CPU)",
  webgl: "WebGL",
};

interface GpuAdapterLike {
  readonly isFallbackAdapter?: boolean;
  readonly info?: { readonly isFallbackAdapter?: boolean };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

/** Asks the browser for a WebGPU adapter; a software one counts as "fallback". Never throws. */
export async function detectGpu(): Promise<GpuKind> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (gpu === undefined) return "none";
  try {
    const adapter = await gpu.requestAdapter();
    if (adapter === null) return "none";
    const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
    return fallback ? "fallback" : "real";
  } catch {
    return "none";
  }
}

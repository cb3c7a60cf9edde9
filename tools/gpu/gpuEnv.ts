/**
 * WebGPU and onnxruntime-web in plain Node, as shared/docs/GPU.md describes:
 * Dawn's Node bindings (npm `webgpu`) provide navigator.gpu, and onnxruntime-web's
 * browser build is imported by path (in Node, `import "onnxruntime-web"` resolves to
 * the wasm-only Node build, which has no WebGPU EP).
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as OrtModule from "onnxruntime-web";

export type Ort = typeof OrtModule;

/** The few WebGPU members this tool touches (the project's TypeScript lib has no WebGPU types). */
export interface AdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly isFallbackAdapter?: boolean;
}
interface Adapter {
  readonly info: AdapterInfo;
}
interface Gpu {
  requestAdapter(options?: { powerPreference?: string }): Promise<Adapter | null>;
}
interface WebGpuModule {
  create(flags: string[]): Gpu;
  globals: Record<string, { prototype: Record<string, unknown> }>;
}
type Method = (this: unknown, ...args: unknown[]) => unknown;

/** Live GPU buffers: those created through GPUDevice.createBuffer and not yet destroyed. */
export interface BufferStats {
  created: number;
  destroyed: number;
  liveBytes: number;
}

export interface GpuEnv {
  readonly ort: Ort;
  /** null when Dawn found no adapter: the wasm measurements still run. */
  readonly adapter: AdapterInfo | null;
  readonly buffers: BufferStats;
}

function patch(proto: Record<string, unknown>, name: string, wrap: (orig: Method) => Method): void {
  const orig = proto[name] as Method | undefined;
  if (typeof orig !== "function") throw new Error(`webgpu globals lack ${name}`);
  proto[name] = wrap(orig);
}

/**
 * Counts buffers by wrapping the prototypes: ORT destroys its buffers explicitly, so created − destroyed is
 * what it holds.
 */
function countBuffers(globals: WebGpuModule["globals"]): BufferStats {
  const stats: BufferStats = { created: 0, destroyed: 0, liveBytes: 0 };
  const sizes = new WeakMap<object, number>();
  const device = globals["GPUDevice"]?.prototype;
  const buffer = globals["GPUBuffer"]?.prototype;
  if (!device || !buffer) return stats;
  patch(
    device,
    "createBuffer",
    (orig) =>
      function (this: unknown, ...args: unknown[]) {
        const b = orig.apply(this, args) as object;
        const size = Number((args[0] as { size?: number } | undefined)?.size ?? 0);
        sizes.set(b, size);
        stats.created++;
        stats.liveBytes += size;
        return b;
      },
  );
  patch(
    buffer,
    "destroy",
    (orig) =>
      function (this: unknown, ...args: unknown[]) {
        // A second destroy() of the same buffer is legal in WebGPU; count it once.
        const size = sizes.get(this as object);
        if (size !== undefined) {
          sizes.delete(this as object);
          stats.destroyed++;
          stats.liveBytes -= size;
        }
        return orig.apply(this, args);
      },
  );
  return stats;
}

/**
 * Under Node the threaded wasm heap is a SharedArrayBuffer, and dawn.node's writeBuffer
 * rejects it ("no overload matched for writeBuffer"), so uploads are copied first.
 */
function copySharedUploads(globals: WebGpuModule["globals"]): void {
  const queue = globals["GPUQueue"]?.prototype;
  if (!queue) throw new Error("webgpu globals lack GPUQueue");
  patch(
    queue,
    "writeBuffer",
    (orig) =>
      function (this: unknown, buf: unknown, off: unknown, data: unknown, dataOff?: unknown, size?: unknown) {
        if (data instanceof SharedArrayBuffer) {
          const o = Number(dataOff ?? 0);
          const n = size === undefined ? data.byteLength - o : Number(size);
          const copy = new Uint8Array(n);
          copy.set(new Uint8Array(data, o, n));
          return orig.call(this, buf, off, copy.buffer, 0, n);
        }
        if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer)
          data = (data as unknown as Uint8Array).slice();
        return orig.call(this, buf, off, data, dataOff, size);
      } as Method,
  );
}

export interface EnvPaths {
  /** Folder with index.js, package.json and dist/linux-x64/dawn.node of npm `webgpu`. */
  readonly webgpuDir: string;
  /** Folder with the onnxruntime-web entry and ort-wasm-simd-threaded.jsep.wasm. */
  readonly ortDir: string;
  readonly ortEntry: string;
}

/** Dawn first, then onnxruntime-web: ORT reads navigator.gpu when its WebGPU backend registers. */
export async function setUpGpu(paths: EnvPaths, log: (s: string) => void): Promise<GpuEnv> {
  const webgpu = (await import(pathToFileURL(join(paths.webgpuDir, "index.js")).href)) as WebGpuModule;
  Object.assign(globalThis, webgpu.globals);
  const gpu = webgpu.create([]);
  // Node 22's navigator has only a getter: assigning it throws, so it is redefined.
  Object.defineProperty(globalThis, "navigator", {
    value: { gpu, hardwareConcurrency: os.availableParallelism() },
    configurable: true,
  });
  copySharedUploads(webgpu.globals);
  const buffers = countBuffers(webgpu.globals);

  const ort = (await import(pathToFileURL(join(paths.ortDir, paths.ortEntry)).href)) as Ort;
  // No fetch of file URLs in Node: hand ORT the wasm bytes.
  ort.env.wasm.wasmBinary = new Uint8Array(
    readFileSync(join(paths.ortDir, "ort-wasm-simd-threaded.jsep.wasm")),
  );
  // More threads fail in Node with these bundles ("fetch failed"), and webviews get one thread anyway.
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";

  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) {
    log("WebGPU: no adapter found (wasm only). VK_LOADER_DEBUG=error,warn shows why drivers were skipped.");
    return { ort, adapter: null, buffers };
  }
  (ort.env.webgpu as { adapter?: unknown }).adapter = adapter;
  const i = adapter.info;
  const info: AdapterInfo = {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    isFallbackAdapter: i.isFallbackAdapter ?? false,
  };
  log(`WebGPU adapter: ${JSON.stringify(info)}`);
  return { ort, adapter: info, buffers };
}

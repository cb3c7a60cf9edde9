/**
 * Dev preview only: runs the inspector outside VS Code (open preview.html).
 * The stub API must be installed before main.ts runs, hence the import order.
 * preview.html                  out/preview/analysis.js if present (see dumpAnalysis.ts), else a made-up
 * model
 *   preview.html?synthetic=10000  a made-up model of that many layers
 *   preview.html?error=1 / ?loading=1
 * &tab=N&select=I&filter=TEXT   seed the persisted state; &hostSelect=I posts a selectLayer; &light for a
 * light theme
 */
import "./stubVsCodeApi";
import "../main";
import type { ModelAnalysis } from "../../src/core/analysis/result";
import type { HostToWebview } from "../../src/protocol/messages";
import { syntheticAnalysis } from "./syntheticAnalysis";

const params = new URLSearchParams(location.search);
const send = (message: HostToWebview): void => window.postMessage(message, "*");
const loaded = (globalThis as { previewAnalysis?: ModelAnalysis }).previewAnalysis;

send({ type: "loading", file: "/models/preview.onnx" });
if (params.has("loading")) {
  // stay in the loading state
} else if (params.has("error")) {
  send({
    type: "error",
    file: "/models/broken.onnx",
    message: "not an ONNX model: protobuf parse failed at byte 12 (wire type 7)",
  });
} else {
  const synthetic = params.get("synthetic");
  const analysis =
    synthetic === null && loaded !== undefined ? loaded : syntheticAnalysis(Number(synthetic ?? "200"));
  const t0 = performance.now();
  send({ type: "analysis", file: "/models/preview.onnx", analysis });
  // The message is handled in a later task; the timer after it measures clone + build + first render.
  setTimeout(
    () => setTimeout(() => console.log(`rendered in ${Math.round(performance.now() - t0)} ms`), 0),
    0,
  );
  if (params.has("hostSelect"))
    setTimeout(() => send({ type: "selectLayer", index: Number(params.get("hostSelect")) }), 50);
}

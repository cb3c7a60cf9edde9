/**
 * Dev harness only (see runServer.ts): a stand-in for acquireVsCodeApi that
 * answers the inspector like the extension host does, through the dev server's
 * /api endpoints. Posted messages are kept on `window.posted` (savePng, runStats…).
 */
import type { HostToWebview, WebviewToHost } from "../../src/protocol/messages";

const posted: WebviewToHost[] = [];
let state: unknown = undefined;
const reply = (m: HostToWebview): void => window.postMessage(m, "*");
const backend = new URLSearchParams(location.search).get("backend") ?? "auto";
/** The resource origin this script came from (the page's CSP allows fetching only there). */
const base = new URL((document.currentScript as HTMLScriptElement | null)?.src ?? location.href).origin;

async function handle(m: WebviewToHost): Promise<void> {
  switch (m.type) {
    case "ready": {
      const init = (await (await fetch(`${base}/api/init?backend=${backend}`)).json()) as {
        file: string;
        analysis: Extract<HostToWebview, { type: "analysis" }>["analysis"];
        runtime: Extract<HostToWebview, { type: "runtime" }>["runtime"];
      };
      reply({ type: "runtime", runtime: init.runtime });
      reply({ type: "loading", file: init.file });
      reply({ type: "analysis", file: init.file, analysis: init.analysis });
      break;
    }
    case "prepareRun": {
      const r = await fetch(`${base}/api/prepareRun`, {
        method: "POST",
        body: JSON.stringify({ layers: m.layers }),
      });
      if (!r.ok) reply({ type: "requestFailed", requestId: m.requestId, message: await r.text() });
      else reply({ type: "runnable", requestId: m.requestId, runnable: await r.json() });
      break;
    }
    case "getFilters": {
      const r = await fetch(`${base}/api/filters?layer=${m.layerIndex}`);
      if (!r.ok) reply({ type: "requestFailed", requestId: m.requestId, message: await r.text() });
      else {
        const f = (await r.json()) as { dims: number[]; data: number[] };
        reply({
          type: "filters",
          requestId: m.requestId,
          layerIndex: m.layerIndex,
          dims: f.dims,
          data: Float32Array.from(f.data),
        });
      }
      break;
    }
    case "pickImage": {
      const uri = `${base}/media/samples/images/chelsea.png`;
      reply({ type: "image", requestId: m.requestId, name: "chelsea.png (picked)", uri });
      break;
    }
    default:
      break;
  }
}

Object.assign(globalThis, {
  posted,
  acquireVsCodeApi: () => ({
    postMessage(message: WebviewToHost): void {
      posted.push(message);
      void handle(message);
    },
    getState: (): unknown => state,
    setState(next: unknown): void {
      state = next;
    },
  }),
});

/**
 * The inspector's HTML document: the chunks webview.js imports statically are preloaded with it (one
 * resource round trip less before the script runs), from the list the webview build writes.
 */
import { describe, expect, it } from "vitest";
import { parseWebviewPreloads, renderInspectorHtml } from "../../src/host/inspectorHtml";
import { EARLY_MESSAGES } from "../../src/protocol/wire";

const base = {
  cspSource: "https://res.example",
  nonce: "n0nce",
  scriptUri: "https://res.example/dist/webview.js",
  styleUris: ["https://res.example/media/inspector.css"],
};

describe("inspector HTML", () => {
  it("lists each preloaded chunk as a modulepreload link in the head, before the stylesheets", () => {
    const html = renderInspectorHtml({
      ...base,
      preloadUris: ["https://res.example/dist/webview-chunks/chunk-A.js", "https://res.example/x?a=1&b=2"],
    });
    const head = html.slice(0, html.indexOf("</head>"));
    const links = [...head.matchAll(/<link rel="modulepreload" nonce="n0nce" href="([^"]*)">/g)].map(
      (m) => m[1],
    );
    expect(links).toEqual([
      "https://res.example/dist/webview-chunks/chunk-A.js",
      "https://res.example/x?a=1&amp;b=2",
    ]);
    expect(head.indexOf("modulepreload")).toBeLessThan(head.indexOf('rel="stylesheet"'));
    expect(html).toContain('<script nonce="n0nce" type="module" src="https://res.example/dist/webview.js">');
  });

  it("has no modulepreload link without a list", () => {
    expect(renderInspectorHtml(base)).not.toContain("modulepreload");
  });

  it("reads the build's list, and takes nothing from a missing or malformed one", () => {
    expect(
      parseWebviewPreloads('["webview-chunks/chunk-475OAA7L.js","webview-chunks/chunk-Q5.js"]\n'),
    ).toEqual(["webview-chunks/chunk-475OAA7L.js", "webview-chunks/chunk-Q5.js"]);
    expect(parseWebviewPreloads(undefined)).toEqual([]);
    expect(parseWebviewPreloads("not json")).toEqual([]);
    expect(parseWebviewPreloads('{"a":1}')).toEqual([]);
    // Only chunk files beside webview.js: nothing that leaves dist/webview-chunks.
    expect(parseWebviewPreloads('["webview-chunks/../../secret.js"]')).toEqual([]);
    expect(parseWebviewPreloads('["https://evil.example/x.js"]')).toEqual([]);
  });

  it("keeps the messages that come before webview.js runs, in order, until it takes them", () => {
    const html = renderInspectorHtml(base);
    const inline = /<script nonce="n0nce">([^<]*)<\/script>/.exec(html);
    expect(inline).not.toBeNull();
    // The inline script comes before any stylesheet or module: it runs as the document is written.
    expect(html.indexOf(inline?.[0] ?? "")).toBeLessThan(html.indexOf("<link"));
    const listeners = new Set<(e: { data: unknown }) => void>();
    const win: Record<string, unknown> = {};
    new Function("window", "addEventListener", "removeEventListener", inline?.[1] ?? "")(
      win,
      (type: string, f: (e: { data: unknown }) => void) => type === "message" && listeners.add(f),
      (type: string, f: (e: { data: unknown }) => void) => type === "message" && listeners.delete(f),
    );
    const send = (data: unknown) => listeners.forEach((f) => f({ data }));
    send({ type: "loading" });
    send({ type: "analysis" });
    const take = win[EARLY_MESSAGES] as () => unknown[];
    expect(take()).toEqual([{ type: "loading" }, { type: "analysis" }]);
    // Taken: it keeps nothing more (webview.js's own listener has them from now on).
    expect(listeners.size).toBe(0);
  });
});

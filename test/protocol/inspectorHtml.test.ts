/**
 * The inspector's HTML document: the chunks webview.js imports statically are preloaded with it (one
 * resource round trip less before the script runs), from the list the webview build writes.
 */
import { describe, expect, it } from "vitest";
import { parseWebviewPreloads, renderInspectorHtml } from "../../src/host/inspectorHtml";

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
});

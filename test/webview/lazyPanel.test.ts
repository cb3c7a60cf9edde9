/**
 * LazyPanel (webview/lazyPanel.ts): the Charts, Graph and Run tabs are chunks loaded on first use.
 * A call made before the panel exists must reach it, in order, after its state is handed over;
 * a panel disposed while loading must never be built; a chunk that fails says so (never a blank tab).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LazyPanel } from "../../webview/lazyPanel";

/** Just enough of an element for h() and LazyPanel: children and attributes. */
class FakeElement {
  readonly children: unknown[] = [];
  readonly attrs = new Map<string, string>();
  textContent = "";
  setAttribute(k: string, v: string): void {
    this.attrs.set(k, v);
  }
  appendChild(c: unknown): void {
    this.children.push(c);
  }
  append(...cs: unknown[]): void {
    this.children.push(...cs);
  }
  replaceChildren(...cs: unknown[]): void {
    this.children.splice(0, this.children.length, ...cs);
  }
}

beforeEach(() => {
  vi.stubGlobal("document", {
    createElement: () => new FakeElement(),
    createTextNode: (text: string) => ({ text }),
  });
});
afterEach(() => vi.unstubAllGlobals());

interface Fake {
  readonly element: HTMLElement;
  readonly log: string[];
}

function lazy(code: () => Promise<string>, log: string[], errors: string[] = []): LazyPanel<string, Fake> {
  return new LazyPanel<string, Fake>(
    "test panel",
    code,
    (chunk) => {
      log.push(`build ${chunk}`);
      return { element: new FakeElement() as unknown as HTMLElement, log };
    },
    (p) => p.log.push("init"),
    (m) => errors.push(m),
  );
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("LazyPanel", () => {
  it("builds on first use, hands over state, then replays the calls made meanwhile in order", async () => {
    const log: string[] = [];
    const p = lazy(async () => "chunk", log);
    p.ifBuilt((x) => x.log.push("dropped: not built"));
    p.with((x) => x.log.push("a"));
    p.with((x) => x.log.push("b"));
    expect(p.built).toBe(false);
    await settle();
    expect(log).toEqual(["build chunk", "init", "a", "b"]);
    expect(p.built).toBe(true);
    p.with((x) => x.log.push("c"));
    p.ifBuilt((x) => x.log.push("d"));
    expect(log.slice(4)).toEqual(["c", "d"]);
    expect((p.element as unknown as FakeElement).children).toHaveLength(1);
  });

  it("prefetch fetches the chunk without building the panel", async () => {
    const log: string[] = [];
    const code = vi.fn(async () => "chunk");
    const p = lazy(code, log);
    p.prefetch();
    await settle();
    expect(code).toHaveBeenCalledTimes(1);
    expect(log).toEqual([]);
    expect(p.built).toBe(false);
  });

  it("never builds a panel disposed while its chunk loads", async () => {
    const log: string[] = [];
    const p = lazy(async () => "chunk", log);
    p.with((x) => x.log.push("a"));
    p.dispose((x) => x.log.push("disposed"));
    await settle();
    expect(log).toEqual([]);
    p.with((x) => x.log.push("after dispose"));
    await settle();
    expect(log).toEqual([]);
  });

  it("a chunk that fails to load shows and reports one line", async () => {
    const log: string[] = [];
    const errors: string[] = [];
    const p = lazy(() => Promise.reject(new Error("404 Not Found")), log, errors);
    p.with((x) => x.log.push("a"));
    await settle();
    expect(errors).toEqual(["the test panel could not be loaded: 404 Not Found"]);
    expect(log).toEqual([]);
    const shown = (p.element as unknown as FakeElement).children[0] as FakeElement;
    expect(shown.attrs.get("role")).toBe("alert");
  });
});

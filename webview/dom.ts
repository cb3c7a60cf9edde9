/**
 * Small DOM helpers so the renderers read as structure rather than as
 * createElement/setAttribute sequences. Text always goes in as text nodes,
 * never as HTML, so model-supplied names cannot inject markup.
 */

export type Child = Node | string | null | undefined | false;
export type Attrs = Readonly<Record<string, string | undefined>>;

/** Creates an element with attributes (undefined ones skipped) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: readonly Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: readonly Child[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node: Element, attrs: Attrs): void {
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined) node.setAttribute(key, value);
  }
}

function append(node: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** A heading plus a two-column key/value list: the building block of the details pane. */
export function keyValueList(rows: readonly { key: string; value: string; title?: string }[]): HTMLElement {
  const dl = h("dl", { class: "kv" });
  for (const row of rows) {
    dl.append(h("dt", { title: row.key }, row.key), h("dd", { title: row.title ?? row.value }, row.value));
  }
  return dl;
}

/** Reads a CSS custom property from the body, with a fallback for previews outside VS Code. */
export function themeColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value === "" ? fallback : value;
}

/** Runs `then` once what was rendered is painted (the task after the next frame). */
export function afterPaint(then: () => void): void {
  requestAnimationFrame(() => setTimeout(then, 0));
}

/** Runs `then` when the page is idle (at most 2 s later). */
export function whenIdle(then: () => void): void {
  if (typeof requestIdleCallback === "function") requestIdleCallback(then, { timeout: 2000 });
  else setTimeout(then, 0);
}

// What the product bench (benchProduct.mjs) reads from the pages it drives: watches installed in a
// page or webview frame that stamp, inside the page, when an element appears; the last key or pointer
// press there; and the webview's own "convlens:" performance measures and marks.

/**
 * Evaluated in a page or webview frame (Playwright passes functions, not strings: webviews forbid
 * eval): installs the watcher once, then arms `a.name`. A watch stamps Date.now() when an element
 * matching `a.selector` appears that was not there when armed (or whose `attr` changed since),
 * containing `text` if given; with `existing`, one already there counts. The stamp is taken on the
 * next animation frame: when the change can be painted.
 */
function armWatch(_body, a) {
  if (window.__benchWatch === undefined) {
    const seen = {};
    const watches = new Map();
    const match = (w) => {
      for (const el of document.querySelectorAll(w.selector)) {
        const fresh = !w.before.has(el) || (w.attr && el.getAttribute(w.attr) !== w.before.get(el));
        if (fresh && (!w.text || (el.textContent || "").includes(w.text))) return true;
      }
      return false;
    };
    const check = () => {
      for (const [name, w] of watches) {
        if (!match(w)) continue;
        watches.delete(name);
        requestAnimationFrame(() => (seen[name] = Date.now()));
      }
    };
    window.__benchWatch = (name, selector, opt) => {
      delete seen[name];
      const before = new Map();
      if (!opt.existing)
        for (const el of document.querySelectorAll(selector))
          before.set(el, opt.attr ? el.getAttribute(opt.attr) : null);
      watches.set(name, { selector, attr: opt.attr, text: opt.text, before });
      check();
    };
    window.__benchSeen = (name) => seen[name];
    // The user's action: the last key or pointer press this document received (not the driver's call,
    // which first waits for the element to be stable and hit-testable).
    let lastInput = null;
    const stamp = () => (lastInput = Date.now());
    for (const type of ["pointerdown", "keydown"]) window.addEventListener(type, stamp, true);
    window.__benchLastInput = () => lastInput;
    const observer = new MutationObserver(() => watches.size > 0 && check());
    observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  }
  window.__benchWatch(a.name, a.selector, a.opt);
}

/** Arms the watch `name` in `scope` (a page or a frame locator): see armWatch. */
export const arm = (scope, name, selector, opt = {}, timeout = 30_000) =>
  scope.locator("body").first().evaluate(armWatch, { name, selector, opt }, { timeout });

/** The webview's "convlens:" performance measures since the last call (then cleared). */
export async function takeMeasures(frame) {
  return frame
    .locator("body")
    .first()
    .evaluate(() => {
      const list = performance
        .getEntriesByType("measure")
        .filter((e) => e.name.startsWith("convlens:"))
        .map((e) => ({ name: e.name.slice("convlens:".length), ms: e.duration }));
      performance.clearMeasures();
      return list;
    })
    .catch(() => []);
}

/**
 * Waits until the watch `name` in `scope` (a page or a frame locator) has fired; returns the ms
 * from the last key or pointer press in `input` (the document the user acted in) to then. A
 * document that replaced the armed one (a webview swaps its frame) is armed again by `rearm`.
 */
export async function waitSeen(scope, name, input, what, rearm = null, timeoutMs = 120_000) {
  const body = scope.locator("body").first();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const at = await body
      .evaluate((_, n) => (window.__benchSeen === undefined ? "missing" : window.__benchSeen(n)), name, {
        timeout: 2000,
      })
      .catch(() => undefined);
    if (typeof at === "number") {
      const from = await input
        .locator("body")
        .first()
        .evaluate(() => window.__benchLastInput());
      if (typeof from !== "number") throw new Error(`${what}: no key or pointer press seen`);
      return at - from;
    }
    if (at === "missing" && rearm !== null) await rearm().catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not seen after ${timeoutMs / 1000} s`);
}

/** The measure webview/app.ts records once the table of an analysis can have been painted. */
const TABLE_PAINTED = "convlens:table painted (from the page's start)";

/**
 * The inspector's table from the click to its paint, and the timeline around it, all on the wall
 * clock both documents share (Date.now()): the click as the page stamped it, the paint as the
 * webview's own measure says (recorded after the frame that shows the rows, however late the bench
 * looked), when the webview's document started (what the editor and code-server take before our
 * page exists) and the extension host's steps. Throws when the webview recorded no paint.
 */
export async function inspectorTimes(page, frame, what) {
  const click = await page
    .locator("body")
    .first()
    .evaluate(() => window.__benchLastInput());
  if (typeof click !== "number") throw new Error(`${what}: no key or pointer press seen`);
  // The host's steps come in a message after the analysis is delivered: give it a moment to arrive.
  await new Promise((r) => setTimeout(r, 300));
  const read = () =>
    frame
      .locator("body")
      .first()
      .evaluate((_, paintedName) => {
        // This document's start on the wall clock; performance.timeOrigin may drift from it.
        const start = Date.now() - performance.now();
        const painted = performance.getEntriesByName(paintedName, "measure")[0];
        const script = performance.getEntriesByType("resource").find((e) => e.name.includes("webview.js"));
        // The extension host's steps (hostTimes), marked with their Date.now() in the detail.
        const host = performance
          .getEntriesByType("mark")
          .filter((e) => e.name.startsWith("convlens:host: "))
          .map((e) => ({ name: e.name.slice("convlens:".length), at: e.detail?.epochMs }));
        return {
          host,
          start,
          skew: performance.timeOrigin - start,
          painted: painted === undefined ? null : start + painted.startTime + painted.duration,
          fetched: script?.responseEnd ?? NaN,
          fetch: script ? script.responseEnd - script.startTime : NaN,
        };
      }, TABLE_PAINTED)
      .catch(() => null);
  let t = await read();
  for (let i = 0; i < 50 && t?.painted == null; i++) {
    await new Promise((r) => setTimeout(r, 100));
    t = await read();
  }
  if (t?.painted == null) throw new Error(`${what}: the webview recorded no "${TABLE_PAINTED}"`);
  await frame
    .locator("body")
    .first()
    .evaluate(() => performance.clearMarks())
    .catch(() => {});
  return {
    painted: t.painted - click,
    timeline: [
      ...t.host.map((m) => ({ name: `${m.name} (from the click)`, ms: m.at - click })),
      { name: "webview document started (from the click)", ms: t.start - click },
      { name: "webview.js fetched (from the page's start)", ms: t.fetched },
      { name: "webview.js fetch", ms: t.fetch },
      { name: "webview clock: timeOrigin − wall-clock start", ms: t.skew },
    ],
  };
}

/** Clicks `button` in the webview and times it to a new `selector` (or a changed `attr`). */
export async function clickAndTime(frame, button, name, selector, opt = {}) {
  await arm(frame, name, selector, opt);
  await frame.locator(button).click();
  return waitSeen(frame, name, frame, name);
}

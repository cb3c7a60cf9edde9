/**
 * A panel whose code is a separate chunk of the webview bundle (chart.js, dagre, the Run tab):
 * fetched and built on first use, or once the table is on screen (prefetch), so that the table
 * never waits for code it does not show. Calls made before the panel exists are kept and replayed.
 */
import { measureSince } from "../src/runtime/shared/timing";
import { h } from "./dom";

export interface Panel {
  readonly element: HTMLElement;
}

export class LazyPanel<M, P extends Panel> {
  /** Holds the panel once built; `display: contents` leaves the tab's layout to the panel's own element. */
  readonly element: HTMLElement = h("div", { style: "display: contents" });
  private panel: P | null = null;
  private loading: Promise<void> | null = null;
  private queued: ((panel: P) => void)[] = [];
  private disposed = false;

  constructor(
    /** For the measure and the message: "charts", "graph", "run panel". */
    private readonly what: string,
    /** Imports the chunk (a dynamic import: esbuild splits it off the eager bundle). */
    private readonly code: () => Promise<M>,
    /** Builds the panel from the chunk. */
    private readonly build: (chunk: M) => P,
    /** Called once it exists, before the calls made meanwhile: brings it up to date. */
    private readonly init: (panel: P) => void,
    /** A chunk that could not be loaded: one line for the host's log. */
    private readonly onError: (message: string) => void,
  ) {}

  get built(): boolean {
    return this.panel !== null;
  }

  /** Fetches the chunk without building the panel: its first use then waits for no fetch. */
  prefetch(): void {
    this.code().catch(() => undefined);
  }

  /** Starts fetching and building the panel (once). */
  load(): void {
    if (this.loading !== null || this.disposed) return;
    const start = performance.now();
    this.loading = this.code().then(
      (chunk) => {
        if (this.disposed) return;
        const panel = this.build(chunk);
        this.panel = panel;
        this.element.append(panel.element);
        this.init(panel);
        for (const call of this.queued.splice(0)) call(panel);
        measureSince(`build: ${this.what} (chunk loaded)`, start);
      },
      (err: unknown) => {
        const message = `the ${this.what} could not be loaded: ${err instanceof Error ? err.message : String(err)}`;
        this.element.replaceChildren(h("div", { class: "error-box", role: "alert" }, message));
        this.onError(message);
      },
    );
  }

  /** Calls `call` on the panel: now if it exists, else once it does (loading it). */
  with(call: (panel: P) => void): void {
    if (this.panel !== null) call(this.panel);
    else if (!this.disposed) {
      this.queued.push(call);
      this.load();
    }
  }

  /** Calls `call` only on a panel already built (nothing to update otherwise: `init` will). */
  ifBuilt(call: (panel: P) => void): void {
    if (this.panel !== null) call(this.panel);
  }

  /** The view is gone: a panel still loading is never built; one built gets `call`. */
  dispose(call: (panel: P) => void): void {
    this.disposed = true;
    this.queued = [];
    if (this.panel !== null) call(this.panel);
  }
}

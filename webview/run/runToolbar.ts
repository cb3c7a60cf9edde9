/**
 * The Run tab's top bar: Run / Cancel, the status line (progress, errors), the
 * backend in use and the forward time, the random-weights banner and backend notes, and the
 * Restricted Mode notice.
 */
import type { Backend } from "../../src/protocol/messages";
import { h } from "../dom";
import { BACKEND_LABEL } from "./backend";
import { formatMs, RUN_VIEWS, type RunView } from "./runModel";

export class RunToolbar {
  readonly element: HTMLElement;
  readonly runButton = h(
    "vscode-button",
    { "data-testid": "run-button", title: "Run the model on this input" },
    "Run",
  );
  private readonly cancelButton = h(
    "vscode-button",
    { secondary: "", "data-testid": "run-cancel", hidden: "" },
    "Cancel",
  );
  private readonly status = h("span", { class: "run-status", "data-testid": "run-status", role: "status" });
  private readonly backend = h("strong", { class: "run-backend", "data-testid": "run-backend" }, "–");
  private readonly ms = h("strong", { class: "run-ms", "data-testid": "run-ms" }, "–");
  private readonly banner = h("div", { class: "run-banner", "data-testid": "random-weights", hidden: "" });
  private readonly notes = h("div", { class: "run-notes", "data-testid": "run-notes" });
  /** Restricted Mode: why nothing runs, and a link to trust the folder (placed above the bar). */
  readonly restricted = h("p", { class: "note run-restricted", "data-testid": "run-restricted", hidden: "" });

  constructor(onRun: () => void, onCancel: () => void) {
    this.runButton.addEventListener("click", onRun);
    this.cancelButton.addEventListener("click", () => {
      onCancel();
      this.setStatus("Cancelling…");
    });
    this.element = h(
      "div",
      { class: "run-top" },
      h(
        "div",
        { class: "run-toolbar" },
        this.runButton,
        this.cancelButton,
        this.status,
        h("span", { class: "run-stat" }, "backend ", this.backend),
        h("span", { class: "run-stat" }, "forward ", this.ms),
      ),
      this.banner,
      this.notes,
    );
  }

  set enabled(on: boolean) {
    (this.runButton as HTMLElement & { disabled: boolean }).disabled = !on;
  }

  setBusy(busy: boolean): void {
    this.cancelButton.hidden = !busy;
    this.runButton.title = busy
      ? "A run is in progress: pressing Run again runs once more after it"
      : "Run the model on this input";
  }

  /** After a run: which backend, how long, what fell through, whether the weights are made up. */
  showResult(
    backend: Backend,
    ms: number,
    firstRun: boolean,
    notes: readonly string[],
    randomWeights: boolean,
  ): void {
    this.backend.textContent = backend;
    this.backend.title = BACKEND_LABEL[backend];
    this.backend.dataset["backend"] = backend;
    this.ms.textContent = formatMs(ms);
    this.ms.dataset["ms"] = ms.toFixed(3);
    this.ms.title = firstRun ? "First run of this session (includes warm-up)" : "Forward pass (session.run)";
    this.banner.hidden = !randomWeights;
    this.banner.textContent = randomWeights
      ? "⚠ Random weights: this file has no weights (or not all of them), so generated ones (He init, fixed seed) are used. Outputs show the architecture at work, not trained predictions."
      : "";
    this.notes.replaceChildren(...notes.map((n) => h("p", { class: "note" }, n)));
  }

  showRestricted(why: string | null, onTrust: () => void): void {
    this.restricted.hidden = why === null;
    if (why === null) return this.restricted.replaceChildren();
    const link = h(
      "a",
      { href: "#", "data-testid": "run-trust", title: "Open VS Code's workspace trust settings" },
      "Trust this folder…",
    );
    link.addEventListener("click", (e) => {
      e.preventDefault();
      onTrust();
    });
    this.restricted.replaceChildren(`${why} `, link);
  }

  setStatus(text: string): void {
    this.status.classList.remove("error");
    this.status.setAttribute("role", "status");
    delete this.status.dataset["error"];
    this.status.textContent = text;
    this.status.hidden = text === "";
  }

  showError(message: string): void {
    this.status.hidden = false;
    this.status.textContent = message;
    this.status.classList.add("error");
    this.status.setAttribute("role", "alert");
    this.status.dataset["error"] = "1";
  }
}

/** Predictions | Feature maps | Filters: fills `buttons` (for marking the active one). */
export function viewSwitcher(
  onSelect: (view: RunView) => void,
  buttons: Map<RunView, HTMLElement>,
): HTMLElement {
  const switcher = h("div", { class: "run-views", role: "tablist" });
  for (const v of RUN_VIEWS) {
    const b = h(
      "button",
      {
        type: "button",
        class: "run-view-button",
        role: "tab",
        "data-view": v.id,
        "data-testid": `run-view-${v.id}`,
      },
      v.label,
    );
    b.addEventListener("click", () => onSelect(v.id));
    buttons.set(v.id, b);
    switcher.append(b);
  }
  return switcher;
}

/**
 * When the host did each step of opening an inspector (Date.now() values, sent to the webview as
 * hostTimes): where the wait between a click and the table goes. The extension's own start-up steps
 * are stamped once per extension host and reported with the first inspector opened, which shows how
 * much of a first open after the page load is ours and how much the editor's start-up.
 */
import type { HostStamp } from "../protocol/messages";

const startup: HostStamp[] = [];

export function stampStartup(step: string): void {
  startup.push({ step, at: Date.now() });
}

/** One inspector load's steps. */
export class LoadTimeline {
  private stamps: HostStamp[] = [];

  stamp(step: string): void {
    this.stamps.push({ step, at: Date.now() });
  }

  /** A step stamped elsewhere (the analysis worker). */
  add(s: HostStamp): void {
    this.stamps.push(s);
  }

  /** The steps so far, with the start-up ones not yet reported; starts afresh. */
  take(): HostStamp[] {
    return [...startup.splice(0), ...this.stamps.splice(0)];
  }

  clear(): void {
    this.stamps = [];
  }
}

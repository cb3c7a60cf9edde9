/**
 * The inspector's breakdown (hostTimes): the host's steps, with the extension's start-up reported once,
 * and their marks on the webview's timeline carrying the host's Date.now().
 */
import { describe, expect, it } from "vitest";
import { LoadTimeline, stampStartup } from "../../src/host/hostTimes";
import { markEpoch } from "../../src/runtime/shared/timing";

describe("host steps of opening an inspector", () => {
  it("reports the start-up steps with the first load only, then each load's own steps", () => {
    stampStartup("extension: activate begun");
    const first = new LoadTimeline();
    first.stamp("HTML set");
    first.add({ step: "worker: analysed", at: 42 });
    const taken = first.take();
    expect(taken.map((s) => s.step)).toEqual(["extension: activate begun", "HTML set", "worker: analysed"]);
    expect(taken[2]?.at).toBe(42);
    expect(taken[1]?.at).toBeGreaterThanOrEqual(taken[0]?.at ?? Infinity);
    const second = new LoadTimeline();
    second.stamp("HTML set");
    second.clear();
    second.stamp("analysis requested");
    expect(second.take().map((s) => s.step)).toEqual(["analysis requested"]);
    expect(second.take()).toEqual([]);
  });

  it("marks a step on the timeline with the epoch time it happened at, even before the page began", () => {
    markEpoch("host: HTML set", 1000);
    const mark = performance.getEntriesByName("convlens:host: HTML set", "mark")[0] as PerformanceMark;
    expect(mark.detail).toEqual({ epochMs: 1000 });
  });
});

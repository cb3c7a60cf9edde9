import { describe, expect, it } from "vitest";
import { restoreState } from "../../webview/viewModel";

describe("inspector state across reopen", () => {
  it("keeps both exporter-plumbing toggles", () => {
    const saved = {
      tab: 2,
      filter: "conv",
      sort: null,
      selected: 3,
      tablePlumbing: true,
      graphPlumbing: true,
    };
    expect(restoreState(JSON.parse(JSON.stringify(saved)))).toEqual(saved);
    expect(restoreState({ ...saved, tablePlumbing: false })).toMatchObject({
      tablePlumbing: false,
      graphPlumbing: true,
    });
  });

  it("hides plumbing when the state predates the toggles or is not an object", () => {
    expect(restoreState({ tab: 1, filter: "", sort: null, selected: null })).toMatchObject({
      tab: 1,
      tablePlumbing: false,
      graphPlumbing: false,
    });
    expect(restoreState(undefined)).toEqual({
      tab: 0,
      filter: "",
      sort: null,
      selected: null,
      tablePlumbing: false,
      graphPlumbing: false,
    });
    expect(restoreState({ tablePlumbing: "yes", sort: { column: "nope", direction: "asc" } })).toMatchObject({
      tablePlumbing: false,
      sort: null,
    });
  });
});

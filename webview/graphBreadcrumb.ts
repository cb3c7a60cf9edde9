/**
 * The graph's breadcrumb bar (view model: model/graphBreadcrumb.ts): above the graph while the
 * view is zoomed into expanded groups, "Model › layer1 › 0"; a group's crumb shows that group
 * alone (other groups collapsed) fitted in the view, "Model" fits the whole graph. Hidden when
 * there is no group to find one's way in.
 */
import { h } from "./dom";
import { graphBreadcrumb, type GraphLayout, type GraphView, type ViewRect } from "./viewModel";

export class GraphBreadcrumbBar {
  readonly element: HTMLElement;
  /** The crumbs drawn, as one key: redrawn only when they change (this runs on every pan). */
  private shown = "";

  /** `onGo` receives the module path of the group to show, or null for the whole graph. */
  constructor(private readonly onGo: (groupPath: string | null) => void) {
    this.element = h("nav", {
      class: "graph-breadcrumb",
      "data-testid": "graph-breadcrumb",
      "aria-label": "Groups in view",
      hidden: "",
    });
  }

  update(view: GraphView | null, layout: GraphLayout | null, rect: ViewRect): void {
    const crumbs = view === null || layout === null ? [] : graphBreadcrumb(view.clusters, layout, rect);
    const key = crumbs.map((c) => c.clusterId).join("\n");
    if (key === this.shown) return;
    this.shown = key;
    this.element.hidden = crumbs.length === 0;
    const link = (label: string, title: string, target: string | null, path: string): HTMLElement => {
      const a = h("a", { href: "#", title, "data-group": path }, label);
      a.addEventListener("click", (e) => {
        e.preventDefault();
        this.onGo(target);
      });
      return a;
    };
    const items: (HTMLElement | string)[] = [link("Model", "Fit the whole graph", null, "")];
    for (const c of crumbs) items.push(" › ", link(c.label, `Show ${c.path} alone`, c.path, c.path));
    this.element.replaceChildren(...items);
  }
}

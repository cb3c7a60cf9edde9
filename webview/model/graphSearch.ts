/**
 * Search in the graph: the layers whose name, op or framework type contains
 * the query, in execution order. Every node standing for a match is marked
 * (a collapsed group holding one too); Enter steps to the next match, opening
 * the groups around it so its own node is drawn.
 */
import type { GraphViewModel } from "./graphModel";

export class GraphSearch {
  private query = "";
  private found: readonly number[] = [];
  /** Position in `found` of the match Enter last stepped to; -1 before the first step. */
  private cursor = -1;

  constructor(private readonly graph: GraphViewModel) {}

  get text(): string {
    return this.query;
  }

  /** Matching layer indexes in execution order. */
  get matches(): readonly number[] {
    return this.found;
  }

  /** The match Enter stepped to last, or null. */
  get current(): number | null {
    return this.found[this.cursor] ?? null;
  }

  /** Recomputes the matches (plumbing the graph hides is not searched); the cursor starts over. */
  setQuery(query: string): void {
    this.query = query;
    this.cursor = -1;
    const needle = query.trim().toLowerCase();
    if (needle === "") {
      this.found = [];
      return;
    }
    const hidden = this.graph.showPlumbing ? new Set<number>() : this.graph.plumbing;
    this.found = [...this.graph.tree.layers.values()]
      .filter((l) => !hidden.has(l.index))
      .filter((l) =>
        [l.name, l.id, l.opType, l.layerType ?? ""].some((text) => text.toLowerCase().includes(needle)),
      )
      .map((l) => l.index)
      .sort((a, b) => a - b);
  }

  /** Steps to the next match (wrapping), opens the groups around it and returns it; null without matches. */
  next(step: 1 | -1 = 1): number | null {
    if (this.found.length === 0) return null;
    this.cursor = (this.cursor + step + this.found.length) % this.found.length;
    const index = this.found[this.cursor]!;
    this.graph.revealLayer(index);
    return index;
  }

  /** Ids of the drawn nodes standing for a match: the layer's own, or its collapsed group's. */
  markedNodes(): Set<string> {
    return new Set(this.found.map((i) => this.graph.nodeIdForLayer(i)));
  }

  /** "3 of 12", "12 matches", "no match" or "" without a query. */
  status(): string {
    if (this.query.trim() === "") return "";
    if (this.found.length === 0) return "no match";
    return this.cursor < 0 ? `${this.found.length} matches` : `${this.cursor + 1} of ${this.found.length}`;
  }
}

/**
 * Small chart.js charts for the Run tab: the activation histogram and the bars
 * of a vector output. Colours come from the VS Code theme, as in the Charts tab.
 */
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from "chart.js";
import { h, themeColor } from "../dom";
import { formatValue, type Histogram } from "./tensorLayout";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

function themed(): { bar: string; text: string; grid: string } {
  return {
    bar: themeColor("--vscode-charts-blue", "#3794ff"),
    text: themeColor("--vscode-descriptionForeground", "#999999"),
    grid: themeColor("--vscode-editorWidget-border", "rgba(128,128,128,0.35)"),
  };
}

/** Owns the charts it made, so a re-render can destroy them. */
export class ChartSet {
  private charts: Chart[] = [];

  destroy(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
  }

  /** A histogram of activations in a box of its own; `title` goes above it. */
  histogram(hist: Histogram, title: string): HTMLElement {
    const labels = hist.counts.map((_, i) => {
      const w = (hist.hi - hist.lo) / hist.counts.length;
      return formatValue(hist.lo + (i + 0.5) * w);
    });
    return this.bars(title, labels, hist.counts, "count", "histogram");
  }

  /** Bars of a vector's values (first `max` only). */
  values(values: ArrayLike<number>, title: string, max = 512): HTMLElement {
    const n = Math.min(values.length, max);
    const labels = Array.from({ length: n }, (_, i) => String(i));
    const data = Array.from({ length: n }, (_, i) => values[i]!);
    const note = values.length > max ? ` (first ${max} of ${values.length})` : "";
    return this.bars(title + note, labels, data, "value", "vector-bars");
  }

  private bars(title: string, labels: string[], data: number[], unit: string, testId: string): HTMLElement {
    const canvas = h("canvas");
    const box = h(
      "div",
      { class: "run-chart", "data-testid": testId },
      h("h4", {}, title),
      h("div", { class: "run-chart-box" }, canvas),
    );
    const t = themed();
    const chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels,
        datasets: [{ label: unit, data, backgroundColor: t.bar, barPercentage: 1, categoryPercentage: 1 }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (i) => `${unit} ${formatValue(Number(i.parsed.y))}` } },
        },
        scales: {
          x: {
            ticks: { color: t.text, maxRotation: 0, autoSkip: true, maxTicksLimit: 6 },
            grid: { display: false },
          },
          y: { ticks: { color: t.text, maxTicksLimit: 4 }, grid: { color: t.grid } },
        },
      },
    });
    this.charts.push(chart);
    return box;
  }
}

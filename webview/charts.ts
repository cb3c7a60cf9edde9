/**
 * The Charts tab: MACs and parameters per layer (bar charts, top layers only)
 * and receptive-field size / effective stride by depth (line chart).
 *
 * Only the chart.js pieces used here are registered, to keep the bundle small.
 * Charts are created the first time the tab is shown (chart.js needs a sized
 * canvas) and rebuilt when the VS Code theme changes, since colours are read
 * from the theme's CSS variables at creation.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import type { ModelAnalysis } from "../src/core/analysis/result";
import { h, themeColor } from "./dom";
import {
  formatCount,
  layerBarSeries,
  receptiveFieldSeries,
  type BarMetric,
  type BarSeries,
} from "./viewModel";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  Legend,
);

export interface ChartsCallbacks {
  onSelect(index: number): void;
}

interface ThemeColors {
  readonly primary: string;
  readonly secondary: string;
  readonly selected: string;
  readonly text: string;
  readonly grid: string;
  readonly font: string;
}

function readTheme(): ThemeColors {
  return {
    primary: themeColor("--vscode-charts-blue", "#3794ff"),
    secondary: themeColor("--vscode-charts-orange", "#d18616"),
    selected: themeColor("--vscode-charts-yellow", "#cca700"),
    text: themeColor("--vscode-descriptionForeground", "#999999"),
    grid: themeColor("--vscode-editorWidget-border", "rgba(128,128,128,0.35)"),
    font: themeColor("--vscode-font-family", "sans-serif"),
  };
}

/** Keeps the end of long module paths: "…layer4.1.conv2" says more than "features.layer4…". */
function shortLabel(label: string, max = 22): string {
  return label.length <= max ? label : `…${label.slice(label.length - max + 1)}`;
}

export class ChartsPanel {
  readonly element: HTMLElement;
  private charts: Chart[] = [];
  private bars: { chart: Chart<"bar">; series: BarSeries }[] = [];
  private built = false;
  private selected: number | null = null;

  constructor(
    private readonly analysis: ModelAnalysis,
    private readonly callbacks: ChartsCallbacks,
  ) {
    this.element = h("div", { class: "charts", "data-testid": "charts" });
  }

  /** Called when the tab becomes visible. */
  show(): void {
    if (!this.built) this.build();
  }

  /** Theme changed: recreate with the new colours (only if already built). */
  rebuild(): void {
    if (!this.built) return;
    this.dispose();
    this.build();
  }

  setSelected(index: number | null): void {
    this.selected = index;
    for (const { chart, series } of this.bars) {
      chart.data.datasets[0]!.backgroundColor = this.barColors(series, readTheme());
      chart.update("none");
    }
  }

  dispose(): void {
    for (const chart of this.charts) chart.destroy();
    this.charts = [];
    this.bars = [];
    this.element.replaceChildren();
    this.built = false;
  }

  private build(): void {
    this.built = true;
    const theme = readTheme();
    Chart.defaults.color = theme.text;
    Chart.defaults.borderColor = theme.grid;
    Chart.defaults.font.family = theme.font;
    this.addBarChart("macs", "MACs per layer", theme);
    this.addBarChart("params", "Parameters per layer", theme);
    this.addRfChart(theme);
  }

  private card(title: string, note: string): { canvas: HTMLCanvasElement; card: HTMLElement } {
    const canvas = h("canvas");
    const card = h(
      "section",
      { class: "chart-card" },
      h("h3", {}, title, note === "" ? null : h("span", { class: "note" }, note)),
      h("div", { class: "chart-box" }, canvas),
    );
    this.element.append(card);
    return { canvas, card };
  }

  private barColors(series: BarSeries, theme: ThemeColors): string[] {
    return series.layerIndexes.map((i) => (i === this.selected ? theme.selected : theme.primary));
  }

  private addBarChart(metric: BarMetric, title: string, theme: ThemeColors): void {
    const series = layerBarSeries(this.analysis.layers, metric);
    const note =
      series.total > series.labels.length
        ? ` top ${series.labels.length} of ${series.total} layers, in execution order`
        : "";
    const { canvas, card } = this.card(title, note);
    if (series.labels.length === 0) {
      card.append(h("p", { class: "empty" }, `No layer has ${metric === "macs" ? "MACs" : "parameters"}.`));
      canvas.parentElement?.remove();
      return;
    }
    const unit = metric === "macs" ? "MACs" : "params";
    const chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: [...series.labels],
        datasets: [{ label: unit, data: [...series.values], backgroundColor: this.barColors(series, theme) }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items) => series.labels[items[0]?.dataIndex ?? 0] ?? "",
              label: (item) => `${formatCount(item.parsed.y ?? 0)} ${unit}`,
            },
          },
        },
        scales: {
          x: {
            ticks: {
              autoSkip: true,
              maxRotation: 60,
              callback: (_v, i) => shortLabel(series.labels[i] ?? ""),
            },
          },
          y: { beginAtZero: true, ticks: { callback: (v) => formatCount(Number(v)) } },
        },
        onClick: (_event, elements) => {
          const index = series.layerIndexes[elements[0]?.index ?? -1];
          if (index !== undefined) this.callbacks.onSelect(index);
        },
      },
    });
    this.charts.push(chart);
    this.bars.push({ chart, series });
  }

  private addRfChart(theme: ThemeColors): void {
    const points = receptiveFieldSeries(this.analysis.layers);
    const { canvas, card } = this.card("Receptive field by depth", " first spatial axis, in input pixels");
    if (points.length === 0) {
      card.append(h("p", { class: "empty" }, "No layer has a spatial receptive field."));
      canvas.parentElement?.remove();
      return;
    }
    const chart = new Chart(canvas, {
      type: "line",
      data: {
        datasets: [
          {
            label: "RF size",
            data: points.map((p) => ({ x: p.layerIndex, y: p.size })),
            borderColor: theme.primary,
            backgroundColor: theme.primary,
            yAxisID: "y",
            pointRadius: points.length > 200 ? 0 : 2,
            stepped: true,
          },
          {
            label: "Effective stride",
            data: points.map((p) => ({ x: p.layerIndex, y: p.stride })),
            borderColor: theme.secondary,
            backgroundColor: theme.secondary,
            yAxisID: "y1",
            pointRadius: points.length > 200 ? 0 : 2,
            stepped: true,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          tooltip: {
            callbacks: { title: (items) => points[items[0]?.dataIndex ?? 0]?.name ?? "" },
          },
        },
        scales: {
          x: { type: "linear", ticks: { precision: 0 }, title: { display: true, text: "layer #" } },
          y: {
            type: "linear",
            beginAtZero: true,
            position: "left",
            title: { display: true, text: "RF size" },
          },
          y1: {
            type: "linear",
            beginAtZero: true,
            position: "right",
            grid: { drawOnChartArea: false },
            title: { display: true, text: "stride" },
          },
        },
        onClick: (_event, elements) => {
          const index = points[elements[0]?.index ?? -1]?.layerIndex;
          if (index !== undefined) this.callbacks.onSelect(index);
        },
      },
    });
    this.charts.push(chart);
  }
}

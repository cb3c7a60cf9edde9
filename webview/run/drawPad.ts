/**
 * A drawing pad: white ink on black, drawn with the mouse or a pen, for
 * small single-channel models such as LeNet-5 on digits. The pad is bigger than
 * the model input; the Run tab shrinks it (area average), which anti-aliases the strokes.
 */
import { h } from "../dom";

export const PAD_SIZE = 224;

export class DrawPad {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private brush = 18;
  private last: { x: number; y: number } | null = null;

  constructor(private readonly onChange: () => void) {
    this.canvas = h("canvas", { class: "draw-pad", "data-testid": "draw-pad", title: "Draw with the mouse" });
    this.canvas.width = PAD_SIZE;
    this.canvas.height = PAD_SIZE;
    const clear = h("vscode-button", { secondary: "", title: "Clear the pad" }, "Clear");
    clear.addEventListener("click", () => {
      this.clear();
      this.onChange();
    });
    const brush = h(
      "select",
      { class: "run-select", "aria-label": "Brush size", title: "Brush size" },
      h("option", { value: "10" }, "thin"),
      h("option", { value: "18", selected: "" }, "medium"),
      h("option", { value: "28" }, "thick"),
    );
    brush.addEventListener("change", () => (this.brush = Number(brush.value)));
    this.element = h(
      "div",
      { class: "draw-box" },
      this.canvas,
      h("div", { class: "draw-tools" }, brush, clear),
    );
    this.clear();
    this.canvas.addEventListener("pointerdown", (e) => {
      this.canvas.setPointerCapture(e.pointerId);
      this.last = this.point(e);
      this.stroke(this.last, this.last);
    });
    this.canvas.addEventListener("pointermove", (e) => {
      if (this.last === null) return;
      const p = this.point(e);
      this.stroke(this.last, p);
      this.last = p;
    });
    const end = (): void => {
      if (this.last === null) return;
      this.last = null;
      this.onChange();
    };
    this.canvas.addEventListener("pointerup", end);
    this.canvas.addEventListener("pointercancel", end);
  }

  clear(): void {
    const ctx = this.canvas.getContext("2d");
    if (ctx === null) return;
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, PAD_SIZE, PAD_SIZE);
  }

  private point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left) / Math.max(1, r.width)) * PAD_SIZE,
      y: ((e.clientY - r.top) / Math.max(1, r.height)) * PAD_SIZE,
    };
  }

  private stroke(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const ctx = this.canvas.getContext("2d");
    if (ctx === null) return;
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = this.brush;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x + 0.01, b.y);
    ctx.stroke();
  }
}

/** Test helpers for images: the CLI's PNG decoder, and the fixtures' model preprocessing. */
import type { Image } from "../../src/cli/png";
export { decodePng } from "../../src/cli/png";

/** pixel / 255 in CHW order, as the fixtures' README describes the models' preprocessing. */
export function toChw(img: Image, channels: number): Float32Array {
  const out = new Float32Array(channels * img.width * img.height);
  const plane = img.width * img.height;
  for (let i = 0; i < plane; i++)
    for (let c = 0; c < channels; c++)
      out[c * plane + i] = (img.data[i * img.channels + Math.min(c, img.channels - 1)] ?? 0) / 255;
  return out;
}

/** A decoded PNG (grey, RGB…) as the browser hands it over to the Run tab: RGBA bytes. */
export function toRgba(img: Image): { width: number; height: number; data: Uint8ClampedArray } {
  const data = new Uint8ClampedArray(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    const px = (c: number) => img.data[i * img.channels + Math.min(c, img.channels - 1)] ?? 0;
    const grey = img.channels <= 2;
    data[i * 4] = px(0);
    data[i * 4 + 1] = grey ? px(0) : px(1);
    data[i * 4 + 2] = grey ? px(0) : px(2);
    data[i * 4 + 3] = 255;
  }
  return { width: img.width, height: img.height, data };
}

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

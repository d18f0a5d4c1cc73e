import "server-only";
import sharp from "sharp";
import type { Box } from "@/lib/avatar/types";

/** Packed 8-bit RGB pixels. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export async function decodeRgb(bytes: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(bytes)
    .flatten({ background: "#ffffff" })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

export function crop(image: RgbImage, box: Box): RgbImage {
  const data = new Uint8Array(box.width * box.height * 3);
  for (let y = 0; y < box.height; y++) {
    const from = ((box.y + y) * image.width + box.x) * 3;
    data.set(image.data.subarray(from, from + box.width * 3), y * box.width * 3);
  }
  return { data, width: box.width, height: box.height };
}

/** Bilinear sample at (x, y), edges clamped, written to out[o..o+2]. */
export function sampleInto(image: RgbImage, x: number, y: number, out: Float32Array | Uint8Array, o: number): void {
  const { data, width, height } = image;
  const cx = Math.min(width - 1.001, Math.max(0, x));
  const cy = Math.min(height - 1.001, Math.max(0, y));
  const x0 = Math.floor(cx);
  const y0 = Math.floor(cy);
  const fx = cx - x0;
  const fy = cy - y0;
  const i00 = (y0 * width + x0) * 3;
  const i10 = i00 + 3;
  const i01 = i00 + width * 3;
  const i11 = i01 + 3;
  for (let c = 0; c < 3; c++) {
    const top = data[i00 + c]! + (data[i10 + c]! - data[i00 + c]!) * fx;
    const bottom = data[i01 + c]! + (data[i11 + c]! - data[i01 + c]!) * fx;
    out[o + c] = top + (bottom - top) * fy;
  }
}

/** Mean colour of the pixels within `radius` of each point. */
export function meanColour(
  image: RgbImage,
  points: { x: number; y: number }[],
  radius: number,
): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  for (const p of points) {
    for (let dy = -radius; dy <= radius; dy++) {
      for (let dx = -radius; dx <= radius; dx++) {
        const x = Math.round(p.x + dx);
        const y = Math.round(p.y + dy);
        if (x < 0 || y < 0 || x >= image.width || y >= image.height) continue;
        const i = (y * image.width + x) * 3;
        sum[0]! += image.data[i]!;
        sum[1]! += image.data[i + 1]!;
        sum[2]! += image.data[i + 2]!;
        n++;
      }
    }
  }
  return n === 0 ? [128, 64, 64] : [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

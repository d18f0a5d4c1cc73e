import "server-only";
import path from "node:path";
import sharp from "sharp";
import type { RgbImage } from "@/lib/avatar/raster";
import type { Box, FramePatch } from "@/lib/avatar/types";

/** A real person's photo: for testing the photo path only, never a persona's face. */
export const portraitFixture = path.resolve(
  process.cwd(),
  "../shared/fixtures/avatars/usnavy_grace_hopper_matplotlib_512x600.jpg",
);

/** The still with one frame's patches drawn over it, as the page composites it. */
export async function compositeFrame(still: RgbImage, patches: FramePatch[]): Promise<RgbImage> {
  const data = Uint8Array.from(still.data);
  for (const patch of patches) {
    const { data: px, info } = await sharp(patch.data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const { x, y } = patch.box;
    for (let row = 0; row < info.height; row++) {
      data.set(px.subarray(row * info.width * 3, (row + 1) * info.width * 3), ((y + row) * still.width + x) * 3);
    }
  }
  return { data, width: still.width, height: still.height };
}

/** Mean absolute difference per channel inside a box. */
export function meanDiff(a: RgbImage, b: RgbImage, box: Box): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.floor(box.y); y < Math.ceil(box.y + box.height); y++) {
    for (let x = Math.floor(box.x); x < Math.ceil(box.x + box.width); x++) {
      const i = (y * a.width + x) * 3;
      for (let c = 0; c < 3; c++) sum += Math.abs(a.data[i + c]! - b.data[i + c]!);
      n += 3;
    }
  }
  return sum / n;
}

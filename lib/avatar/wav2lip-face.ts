import "server-only";
import sharp from "sharp";
import type { Box, FramePatch, Point, PreparedAvatar } from "@/lib/avatar/types";

/** Wav2Lip's face side in pixels. */
export const FACE_SIZE = 96;
const PLANE = FACE_SIZE * FACE_SIZE;

/**
 * Channel order of the model's face input and output. Wav2Lip was trained on OpenCV frames, so its weights
 * (and the ONNX exports made from them) expect BGR; "rgb" is for exports retrained or wrapped for RGB.
 */
export type ChannelOrder = "bgr" | "rgb";

/** Everything about one portrait that stays the same for every frame, computed once per avatar. */
export interface FaceContext {
  /** The square crop fed to the model. */
  crop: Box;
  /** The part of the crop that changes (its lower half), in image coordinates: the FramePatch box. */
  patch: Box;
  /** [6, 96, 96], 0..1: the crop with its lower half blacked out, then the crop itself (Wav2Lip's layout). */
  input: Float32Array;
  /** The portrait's own pixels under `patch`, RGB. */
  still: Buffer;
  /** Per-pixel weight of the model's output over `patch`, 0 at its edges so the seam cannot show. */
  mask: Float32Array;
}

function bounds(points: Point[]): { x0: number; y0: number; x1: number; y1: number } {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}

/**
 * A square like the face detector box Wav2Lip was trained on: jaw width by brow-to-chin height, padded 10%,
 * pushed slightly down (Wav2Lip pads the detector box 10 px below the chin), kept inside the image.
 */
export function faceCropBox(avatar: PreparedAvatar, width: number, height: number): Box {
  let x0: number;
  let y0: number;
  let x1: number;
  let y1: number;
  if (avatar.landmarks.length >= 27) {
    const jaw = bounds(avatar.landmarks.slice(0, 17));
    const brows = bounds(avatar.landmarks.slice(17, 27));
    ({ x0, x1 } = jaw);
    y0 = brows.y0;
    y1 = jaw.y1;
  } else {
    // Without landmarks, a face is about three mouth widths across with the mouth in its lower third.
    const m = avatar.mouth;
    const side = 3 * m.width;
    x0 = m.x + m.width / 2 - side / 2;
    x1 = x0 + side;
    y1 = m.y + m.height + side * 0.3;
    y0 = y1 - side;
  }
  const side = Math.min(width, height, Math.round(Math.max(x1 - x0, y1 - y0) * 1.1));
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2 + side * 0.03;
  const x = Math.min(width - side, Math.max(0, Math.round(cx - side / 2)));
  const y = Math.min(height - side, Math.max(0, Math.round(cy - side / 2)));
  return { x, y, width: side, height: side };
}

/** Ramp 0 -> 1 over `span` pixels from an edge. */
function ramp(distance: number, span: number): number {
  return Math.min(1, Math.max(0, distance / span));
}

function featherMask(width: number, height: number): Float32Array {
  const mask = new Float32Array(width * height);
  const top = Math.max(1, height * 0.25);
  const side = Math.max(1, width * 0.15);
  const bottom = Math.max(1, height * 0.12);
  for (let y = 0; y < height; y++) {
    const vertical = Math.min(ramp(y, top), ramp(height - 1 - y, bottom));
    for (let x = 0; x < width; x++) {
      mask[y * width + x] = vertical * Math.min(ramp(x, side), ramp(width - 1 - x, side));
    }
  }
  return mask;
}

export async function prepareFace(avatar: PreparedAvatar, order: ChannelOrder): Promise<FaceContext> {
  const image = sharp(avatar.image);
  const { width, height } = await image.metadata();
  if (!width || !height) throw new Error(`avatar ${avatar.id}: the portrait image could not be decoded`);
  const crop = faceCropBox(avatar, width, height);
  const cropped = image
    .clone()
    .extract({ left: crop.x, top: crop.y, width: crop.width, height: crop.height })
    .flatten({ background: "#ffffff" });
  const face = await cropped.clone().resize(FACE_SIZE, FACE_SIZE, { fit: "fill" }).raw().toBuffer();
  const full = await cropped.raw().toBuffer();

  const input = new Float32Array(6 * PLANE);
  for (let c = 0; c < 3; c++) {
    const source = order === "bgr" ? 2 - c : c;
    for (let i = 0; i < PLANE; i++) {
      const value = face[i * 3 + source]! / 255;
      input[(3 + c) * PLANE + i] = value;
      // Wav2Lip masks rows img_size // 2 onward: the model must draw the mouth from the audio alone.
      if (i < PLANE / 2) input[c * PLANE + i] = value;
    }
  }

  const top = Math.floor(crop.height / 2);
  const patch = { x: crop.x, y: crop.y + top, width: crop.width, height: crop.height - top };
  const still = full.subarray(top * crop.width * 3);
  return { crop, patch, input, still, mask: featherMask(patch.width, patch.height) };
}

/** The model's [3, 96, 96] output for one frame -> the JPEG patch over `face.patch`. */
export async function composePatch(
  face: FaceContext,
  output: Float32Array,
  seq: number,
  order: ChannelOrder,
  quality: number,
): Promise<FramePatch> {
  const rgb = Buffer.alloc(PLANE * 3);
  for (let c = 0; c < 3; c++) {
    const plane = (order === "bgr" ? 2 - c : c) * PLANE;
    for (let i = 0; i < PLANE; i++) rgb[i * 3 + c] = Math.round(Math.min(1, Math.max(0, output[plane + i]!)) * 255);
  }
  const { crop, patch, still, mask } = face;
  const drawn = await sharp(rgb, { raw: { width: FACE_SIZE, height: FACE_SIZE, channels: 3 } })
    .resize(crop.width, crop.height, { fit: "fill" })
    .extract({ left: 0, top: patch.y - crop.y, width: patch.width, height: patch.height })
    .raw()
    .toBuffer();
  for (let i = 0; i < mask.length; i++) {
    const a = mask[i]!;
    for (let c = 0; c < 3; c++) {
      const k = i * 3 + c;
      drawn[k] = Math.round(a * drawn[k]! + (1 - a) * still[k]!);
    }
  }
  const data = await sharp(drawn, { raw: { width: patch.width, height: patch.height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
  return { seq, box: patch, mime: "image/jpeg", data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

import "server-only";
import { Curve, LM, LocalFrame, mid, pixelBox, slice, smoothstep } from "@/lib/avatar/geometry";
import { meanColour, type RgbImage, sampleInto } from "@/lib/avatar/raster";
import type { Box, Point } from "@/lib/avatar/types";
import type { MouthPose } from "@/lib/speech/types";

/** Mouth measurements in a frame along the lips (u right, v down; v measured from the lip seam). */
export interface MouthRig {
  frame: LocalFrame;
  seam: Curve;
  halfWidth: number;
  noseV: number;
  chinV: number;
  /** Cheeks beyond `fadeStart` follow the jaw less and less, and not at all past `fadeEnd`. */
  fadeStart: number;
  fadeEnd: number;
  maxJaw: number;
  /** Below the chin the jaw's drop fades out over this distance (long enough to keep the warp one-to-one). */
  chinFade: number;
  lip: [number, number, number];
  /** The patch every mouth state is drawn into. */
  box: Box;
}

/** Largest gap between the lips at open = 1, as a share of the mouth's half-width. */
const MAX_GAP = 0.85;
const UPPER_SHARE = 0.22;

export function mouthRig(landmarks: Point[], still: RgbImage): MouthRig {
  const m = slice(landmarks, LM.mouth);
  const frame = new LocalFrame(mid(m[12]!, m[16]!), m[0]!, m[6]!);
  const local = (i: number) => frame.toLocal(landmarks[i]!);
  // Inner lips 60-64 (upper) and 64-67,60 (lower) meet on the seam when the mouth is closed; their mean is the seam.
  const seam = new Curve([
    local(60),
    mid(local(61), local(67)),
    mid(local(62), local(66)),
    mid(local(63), local(65)),
    local(64),
  ]);
  const halfWidth = Math.abs(local(54).x - local(48).x) / 2;
  const seam0 = seam.at(0);
  const noseV = Math.min(local(33).y - seam0, -halfWidth * 0.6);
  const chinV = Math.max(local(8).y - seam0, halfWidth * 0.8);
  const jawHalf = (Math.abs(local(4).x) + Math.abs(local(12).x)) / 2;
  const fadeStart = halfWidth * 1.15;
  const fadeEnd = Math.max(fadeStart + halfWidth * 0.4, Math.min(halfWidth * 2.1, jawHalf * 0.95));
  const maxJaw = MAX_GAP * (1 - UPPER_SHARE) * halfWidth;
  const chinFade = 2.2 * maxJaw;
  const margin = 3;
  const box = pixelBox(
    frame.imageBox(
      -fadeEnd - margin,
      fadeEnd + margin,
      seam0 + noseV * 0.9 - margin - 2,
      seam0 + chinV + maxJaw + chinFade + margin,
    ),
    still.width,
    still.height,
  );
  const lipPoints = [mid(landmarks[51]!, landmarks[62]!), mid(landmarks[57]!, landmarks[66]!)];
  const lip = meanColour(still, lipPoints, Math.max(1, Math.round(halfWidth / 12)));
  return { frame, seam, halfWidth, noseV, chinV, fadeStart, fadeEnd, maxJaw, chinFade, lip, box };
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * Draws the rig's box for one pose by inverse warping the still: the lips part around the seam (the upper lip a
 * little, the lower lip and jaw most), the corners move out for `width` and in for `round` (with fuller lips for
 * the push forward), and the gap is filled with a shaded mouth interior and upper teeth. Pose zero reproduces the
 * still exactly.
 */
export function renderMouth(still: RgbImage, rig: MouthRig, pose: MouthPose): RgbImage {
  const open = clamp01(pose.open);
  const width = clamp01(pose.width);
  const round = clamp01(pose.round);
  const { frame, seam, halfWidth: W, box } = rig;
  const gap = open * MAX_GAP * W;
  const jaw = gap * (1 - UPPER_SHARE);
  const scaleX = (1 + 0.16 * width - 0.22 * round) * (1 - 0.05 * open);
  const innerHalf = W * scaleX * (1 - 0.3 * round) * 0.96;
  const edgePower = 2 + 2 * width * (1 - round);
  const thicken = 0.16 * round;
  const [lr, lg, lb] = rig.lip;
  const teethHalf = 0.72 * W;
  // Rounded lips hide most of the teeth.
  const teethShow = 1 - 0.6 * round;
  // Clamped so that fractional samples round rather than truncate: pose zero then reproduces the still exactly.
  const out = new Uint8ClampedArray(box.width * box.height * 3);
  const px = new Float32Array(3);

  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      const o = (y * box.width + x) * 3;
      const p = frame.toLocal({ x: box.x + x + 0.5, y: box.y + y + 0.5 });
      const u = p.x;
      const vs = p.y - seam.at(u);
      const lateral = 1 - smoothstep(rig.fadeStart * scaleX, rig.fadeEnd, Math.abs(u));
      const rel = Math.abs(u) / innerHalf;
      const g = rel < 1 ? gap * (1 - rel ** edgePower) ** 0.6 : 0;
      const up = UPPER_SHARE * g;
      const low = (1 - UPPER_SHARE) * g;
      const jawHere = jaw * lateral;

      // Undo the vertical opening: where did this output pixel come from, relative to the closed seam?
      let srcV: number;
      if (vs <= -up) {
        const lift = 1 - smoothstep(-up - 1.2 * (W * 0.3), rig.noseV * 0.85, vs);
        srcV = vs + up * lift;
      } else if (vs >= low) {
        const chin = rig.chinV + jawHere;
        let drop: number;
        if (vs <= chin) drop = low + (jawHere - low) * ((vs - low) / Math.max(1e-3, chin - low));
        else drop = jawHere * (1 - smoothstep(chin, chin + rig.chinFade, vs));
        srcV = vs - drop;
      } else {
        // Inside the gap: the lip seam shows through wherever the interior's edge is anti-aliased.
        srcV = 0;
      }

      // Undo the width/round change, which acts on the lips and fades into the cheeks, nose and chin.
      const band =
        lateral *
        (1 - smoothstep(W * 0.35, -rig.noseV * 0.8, -srcV)) *
        (1 - smoothstep(W * 0.4, rig.chinV * 0.75, srcV));
      const srcU = u / (1 + (scaleX - 1) * band);
      const srcVs = srcV / (1 + thicken * band);
      const s = frame.toImage(srcU, srcVs + seam.at(srcU));
      sampleInto(still, s.x - 0.5, s.y - 0.5, px, 0);

      const coverage = g > 0 ? clamp01(Math.min(vs + up, low - vs) + 0.5) * clamp01(g) : 0;
      if (coverage > 0) {
        const gapH = up + low;
        const depth = clamp01((vs + up) / gapH);
        const shade = 0.6 + 0.4 * Math.abs(2 * depth - 1);
        let r = (lr * 0.2 + 10) * shade;
        let gg = (lg * 0.12 + 4) * shade;
        let b = (lb * 0.12 + 6) * shade;
        // Upper teeth hang from behind the upper lip, a little longer in the middle.
        const tu = u / teethHalf;
        if (Math.abs(tu) < 1) {
          const teethLen = Math.min(gapH * 0.4, W * 0.22) * teethShow * (1 - 0.25 * tu * tu);
          const t = clamp01(teethLen - (vs + up) + 0.5) * clamp01(gapH - 2);
          const side = 1 - 0.55 * tu ** 4;
          const seamLine = Math.abs(((Math.abs(tu) + 0.5) % 0.45) - 0.225) < 0.02 ? 0.85 : 1;
          const light = 200 * side * seamLine * (0.9 + 0.1 * (1 - depth));
          r += (light - r) * t;
          gg += (light * 0.97 - gg) * t;
          b += (light * 0.9 - b) * t;
        }
        // The tongue shows low in a wide-open mouth.
        if (open > 0.4) {
          const tongue = clamp01(1 - (u / (innerHalf * 0.55)) ** 2 - ((1 - depth) / 0.35) ** 2) * (open - 0.4) * 1.2;
          r += (lr * 0.6 + 25 - r) * tongue;
          gg += (lg * 0.35 + 5 - gg) * tongue;
          b += (lb * 0.35 + 8 - b) * tongue;
        }
        px[0] = px[0]! + (r - px[0]!) * coverage;
        px[1] = px[1]! + (gg - px[1]!) * coverage;
        px[2] = px[2]! + (b - px[2]!) * coverage;
      }
      out[o] = px[0]!;
      out[o + 1] = px[1]!;
      out[o + 2] = px[2]!;
    }
  }
  return { data: new Uint8Array(out.buffer), width: box.width, height: box.height };
}

import "server-only";
import { Curve, LM, LocalFrame, mid, pixelBox, slice, smoothstep, union } from "@/lib/avatar/geometry";
import { type RgbImage, sampleInto } from "@/lib/avatar/raster";
import type { Box, Point } from "@/lib/avatar/types";

interface EyeRig {
  frame: LocalFrame;
  upperLid: Curve;
  lowerLid: Curve;
  brow: Curve;
  halfWidth: number;
  browHalf: number;
  browThickness: number;
  maxRaise: number;
}

/** Both eyes and brows; one patch covers them. */
export interface EyesRig {
  eyes: [EyeRig, EyeRig];
  box: Box;
}

export interface EyeState {
  /** 0 open .. 1 shut. */
  blink: number;
  /** 0 rest .. 1 fully raised. */
  brow: number;
}

function eyeRig(landmarks: Point[], eye: readonly [number, number], brow: readonly [number, number]): EyeRig {
  const e = slice(landmarks, eye);
  // iBUG order: corner, two upper-lid points, other corner, two lower-lid points.
  const [c0, u0, u1, c1, l1, l0] = e as [Point, Point, Point, Point, Point, Point];
  const left = c0.x < c1.x ? c0 : c1;
  const right = c0.x < c1.x ? c1 : c0;
  const frame = new LocalFrame(mid(c0, c1), left, right);
  const loc = (p: Point) => frame.toLocal(p);
  const browPts = slice(landmarks, brow).map(loc);
  const halfWidth = Math.abs(loc(c1).x - loc(c0).x) / 2;
  const upperLid = new Curve([loc(c0), loc(u0), loc(u1), loc(c1)]);
  const browCurve = new Curve(browPts);
  const browToLid = Math.max(halfWidth * 0.5, upperLid.at(0) - browCurve.at(0));
  return {
    frame,
    upperLid,
    lowerLid: new Curve([loc(c0), loc(l0), loc(l1), loc(c1)]),
    brow: browCurve,
    halfWidth,
    browHalf: Math.max(...browPts.map((p) => Math.abs(p.x))),
    browThickness: browToLid * 0.3,
    maxRaise: browToLid * 0.16,
  };
}

export function eyesRig(landmarks: Point[], still: RgbImage): EyesRig {
  const eyes: [EyeRig, EyeRig] = [
    eyeRig(landmarks, LM.leftEye, LM.leftBrow),
    eyeRig(landmarks, LM.rightEye, LM.rightBrow),
  ];
  const boxes = eyes.map((r) => {
    const reach = Math.max(r.halfWidth * 1.3, r.browHalf * 1.25);
    const top =
      Math.min(r.brow.at(-r.browHalf), r.brow.at(0), r.brow.at(r.browHalf)) - r.browThickness * 3.5 - r.maxRaise;
    const bottom = Math.max(r.lowerLid.at(-r.halfWidth / 3), r.lowerLid.at(r.halfWidth / 3)) + 3;
    return r.frame.imageBox(-reach, reach, top - 2, bottom);
  });
  return { eyes, box: pixelBox(union(boxes[0]!, boxes[1]!), still.width, still.height) };
}

/**
 * Undoes a brow raise then a blink for one eye, local output point -> local source point. The raise lifts the brow
 * band and fades out towards the lid and the forehead; the blink slides the lid skin (between lid and brow) down
 * over the eye, which stays where it is underneath, so the lash line lands on the lower lid when shut.
 */
function eyeSource(r: EyeRig, u: number, v: number, state: EyeState): number {
  let sv = v;
  if (state.brow > 0) {
    const brow = r.brow.at(u);
    const lid = r.upperLid.at(u);
    const t = r.browThickness;
    const along = 1 - smoothstep(r.browHalf * 0.9, r.browHalf * 1.2, Math.abs(u));
    const w = v < brow ? smoothstep(brow - 3.5 * t, brow - t, v) : 1 - smoothstep(brow + t * 0.5, lid, v);
    sv = v + state.brow * r.maxRaise * w * along;
  }
  if (state.blink > 0) {
    const lid = r.upperLid.at(u);
    const opening = r.lowerLid.at(u) - lid;
    if (Math.abs(u) < r.halfWidth * 1.1) {
      const top = lid + 0.55 * (r.brow.at(u) - lid);
      // A little past the lower lid so no white shows under a shut lid.
      const edge = lid + state.blink * (Math.max(0, opening) + 1.5);
      if (sv >= top && sv <= edge) sv = top + ((sv - top) * (lid - top)) / (edge - top);
    }
  }
  return sv;
}

export function renderEyes(still: RgbImage, rig: EyesRig, state: EyeState): RgbImage {
  const { box } = rig;
  const out = new Uint8ClampedArray(box.width * box.height * 3);
  const px = new Float32Array(3);
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      const ix = box.x + x + 0.5;
      const iy = box.y + y + 0.5;
      // Each pixel belongs to the nearer eye's frame.
      const [a, b] = rig.eyes;
      const r =
        Math.hypot(ix - a.frame.origin.x, iy - a.frame.origin.y) <=
        Math.hypot(ix - b.frame.origin.x, iy - b.frame.origin.y)
          ? a
          : b;
      const p = r.frame.toLocal({ x: ix, y: iy });
      const s = r.frame.toImage(p.x, eyeSource(r, p.x, p.y, state));
      sampleInto(still, s.x - 0.5, s.y - 0.5, px, 0);
      const o = (y * box.width + x) * 3;
      out[o] = px[0]!;
      out[o + 1] = px[1]!;
      out[o + 2] = px[2]!;
    }
  }
  return { data: new Uint8Array(out.buffer), width: box.width, height: box.height };
}

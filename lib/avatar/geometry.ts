import type { Box, Point } from "@/lib/avatar/types";

/** iBUG 68 index ranges. The "left" eye is the one on the image's left (the subject's right, points 36-41). */
export const LM = {
  jaw: [0, 17],
  leftBrow: [17, 22],
  rightBrow: [22, 27],
  noseBase: [31, 36],
  leftEye: [36, 42],
  rightEye: [42, 48],
  mouth: [48, 68],
} as const;

export function slice(points: Point[], [from, to]: readonly [number, number]): Point[] {
  return points.slice(from, to);
}

export function boundingBox(points: Point[]): Box {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

export function padBox(box: Box, padX: number, padY: number): Box {
  return { x: box.x - padX, y: box.y - padY, width: box.width + 2 * padX, height: box.height + 2 * padY };
}

/** Whole-pixel box that contains `box`, cut to the image. */
export function pixelBox(box: Box, width: number, height: number): Box {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(width, Math.ceil(box.x + box.width));
  const y1 = Math.min(height, Math.ceil(box.y + box.height));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

export function union(a: Box, b: Box): Box {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}

export function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

/**
 * A frame aligned with a feature (u along it, v across it, pointing down the face), so the warps work the same
 * on a tilted head.
 */
export class LocalFrame {
  readonly ex: Point;
  readonly ey: Point;

  constructor(
    readonly origin: Point,
    from: Point,
    to: Point,
  ) {
    const len = Math.hypot(to.x - from.x, to.y - from.y) || 1;
    this.ex = { x: (to.x - from.x) / len, y: (to.y - from.y) / len };
    this.ey = { x: -this.ex.y, y: this.ex.x };
  }

  toLocal(p: Point): Point {
    const dx = p.x - this.origin.x;
    const dy = p.y - this.origin.y;
    return { x: dx * this.ex.x + dy * this.ex.y, y: dx * this.ey.x + dy * this.ey.y };
  }

  toImage(u: number, v: number): Point {
    return { x: this.origin.x + u * this.ex.x + v * this.ey.x, y: this.origin.y + u * this.ex.y + v * this.ey.y };
  }

  /** Image-space bounding box of a local rectangle. */
  imageBox(u0: number, u1: number, v0: number, v1: number): Box {
    return boundingBox([this.toImage(u0, v0), this.toImage(u1, v0), this.toImage(u0, v1), this.toImage(u1, v1)]);
  }
}

/** Piecewise-linear y(x) through points (sorted by x), held flat beyond the ends. */
export class Curve {
  private readonly xs: number[];
  private readonly ys: number[];

  constructor(points: Point[]) {
    const sorted = [...points].sort((a, b) => a.x - b.x);
    this.xs = sorted.map((p) => p.x);
    this.ys = sorted.map((p) => p.y);
  }

  at(x: number): number {
    const { xs, ys } = this;
    const n = xs.length;
    if (x <= xs[0]!) return ys[0]!;
    if (x >= xs[n - 1]!) return ys[n - 1]!;
    let i = 1;
    while (xs[i]! < x) i++;
    const x0 = xs[i - 1]!;
    const x1 = xs[i]!;
    const t = x1 === x0 ? 0 : (x - x0) / (x1 - x0);
    return ys[i - 1]! + t * (ys[i]! - ys[i - 1]!);
  }
}

export function mid(a: Point, b: Point): Point {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

/** Mouth and eye boxes derived from the 68 landmarks. */
export function featureBoxes(landmarks: Point[]): { mouth: Box; leftEye: Box; rightEye: Box } {
  const mouth = boundingBox(slice(landmarks, LM.mouth));
  const eye = (range: readonly [number, number]) => {
    const b = boundingBox(slice(landmarks, range));
    return padBox(b, b.width * 0.2, b.width * 0.25);
  };
  return {
    mouth: padBox(mouth, mouth.width * 0.1, mouth.height * 0.2),
    leftEye: eye(LM.leftEye),
    rightEye: eye(LM.rightEye),
  };
}

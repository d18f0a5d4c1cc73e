import "server-only";
import sharp from "sharp";
import type { Box, Point, PreparedAvatar } from "@/lib/avatar/types";

/**
 * Self-made inputs for the Wav2Lip engine's tests and bench: a drawn face with hand-placed iBUG landmarks,
 * and speech-like audio. Nothing here is downloaded.
 */

const WIDTH = 320;
const HEIGHT = 400;
/** Face ellipse: centre and radii. */
const FACE = { cx: 160, cy: 210, rx: 100, ry: 130 };

function ellipsePoint(angle: number, rx: number, ry: number, cx: number, cy: number): Point {
  return { x: cx + rx * Math.cos(angle), y: cy + ry * Math.sin(angle) };
}

function boxOf(points: Point[]): Box {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

/** The 68 points in iBUG order, placed on the drawn face. */
function landmarks(): Point[] {
  const { cx, cy, rx, ry } = FACE;
  const jaw = Array.from({ length: 17 }, (_, i) => ellipsePoint(Math.PI - (Math.PI * i) / 16, rx, ry, cx, cy + 10));
  const brows = Array.from({ length: 10 }, (_, i) => ({
    x: 95 + i * 14 + (i >= 5 ? 10 : 0),
    y: 150 - (i % 5 === 2 ? 6 : 0),
  }));
  const nose = [
    ...Array.from({ length: 4 }, (_, i) => ({ x: cx, y: 170 + i * 14 })),
    ...Array.from({ length: 5 }, (_, i) => ({ x: cx - 16 + i * 8, y: 226 })),
  ];
  const eye = (ex: number) =>
    Array.from({ length: 6 }, (_, i) => ellipsePoint(Math.PI + (Math.PI * i) / 3, 16, 7, ex, 175));
  const outerLip = Array.from({ length: 12 }, (_, i) =>
    ellipsePoint(Math.PI + (2 * Math.PI * i) / 12, 38, 14, cx, 270),
  );
  const innerLip = Array.from({ length: 8 }, (_, i) => ellipsePoint(Math.PI + (2 * Math.PI * i) / 8, 26, 5, cx, 270));
  return [...jaw, ...brows, ...nose, ...eye(122), ...eye(198), ...outerLip, ...innerLip];
}

export async function syntheticAvatar(id = "synthetic"): Promise<PreparedAvatar> {
  const { cx, cy, rx, ry } = FACE;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">
    <rect width="100%" height="100%" fill="#3b5b7a"/>
    <ellipse cx="${cx}" cy="${cy}" rx="${rx}" ry="${ry}" fill="#e0b08a"/>
    <ellipse cx="122" cy="175" rx="16" ry="7" fill="#ffffff"/><circle cx="122" cy="175" r="5" fill="#2a1a10"/>
    <ellipse cx="198" cy="175" rx="16" ry="7" fill="#ffffff"/><circle cx="198" cy="175" r="5" fill="#2a1a10"/>
    <path d="M95 150 Q122 140 150 150 M170 150 Q198 140 225 150" stroke="#5a3a20" stroke-width="5" fill="none"/>
    <path d="M160 170 L150 225 L170 225" stroke="#b07f5f" stroke-width="3" fill="none"/>
    <ellipse cx="${cx}" cy="270" rx="38" ry="14" fill="#a8424a"/>
    <ellipse cx="${cx}" cy="270" rx="26" ry="4" fill="#5a1a20"/>
  </svg>`;
  const image = await sharp(Buffer.from(svg)).png().toBuffer();
  const points = landmarks();
  return {
    id,
    width: WIDTH,
    height: HEIGHT,
    image: new Uint8Array(image),
    mime: "image/png",
    landmarks: points,
    mouth: boxOf(points.slice(48, 68)),
    leftEye: boxOf(points.slice(36, 42)),
    rightEye: boxOf(points.slice(42, 48)),
    landmarkSource: "declared",
  };
}

/** Voiced "syllables": a 140 Hz buzz with formant-like harmonics, opening and closing about 4 times a second. */
export function speechLikeAudio(seconds: number, sampleRate = 16_000, syllableHz = 4): Int16Array {
  const samples = new Int16Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < samples.length; i++) {
    const t = i / sampleRate;
    const envelope = Math.max(0, Math.sin(2 * Math.PI * syllableHz * t)) ** 2;
    let voice = 0;
    for (let h = 1; h <= 20; h++) voice += Math.sin(2 * Math.PI * 140 * h * t) / h;
    samples[i] = Math.round(9000 * envelope * voice);
  }
  return samples;
}

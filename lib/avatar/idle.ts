import { seededRandom } from "@/lib/random";

/** FNV-1a over 32-bit values, to derive a per-utterance seed. */
export function hashSeed(values: Iterable<number>): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    h ^= v | 0;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface IdleTrack {
  /** Per frame, 0 open .. 1 shut. */
  blink: Float32Array;
  /** Per frame, 0 rest .. 1 raised. */
  brow: Float32Array;
}

// People blink every 2-6 s; a blink closes in ~80 ms and opens in ~150 ms.
const BLINK_GAP_S: [number, number] = [2.2, 5.5];
const BLINK_CLOSE_S = 0.08;
const BLINK_HOLD_S = 0.04;
const BLINK_OPEN_S = 0.15;
// Brows lift now and then on a stressed, open syllable, not during silence.
const RAISE_GAP_S: [number, number] = [3, 7];
const RAISE_UP_S = 0.15;
const RAISE_HOLD_S = 0.45;
const RAISE_DOWN_S = 0.3;

function envelope(t: number, up: number, hold: number, down: number): number {
  if (t < 0) return 0;
  if (t < up) return t / up;
  if (t < up + hold) return 1;
  if (t < up + hold + down) return 1 - (t - up - hold) / down;
  return 0;
}

/**
 * Blinks and brow raises for `frames` frames at `fps`. `openness` (the mouth's open value per frame) places brow
 * raises on speech only.
 */
export function idleTrack(frames: number, fps: number, seed: number, openness: ArrayLike<number>): IdleTrack {
  const random = seededRandom(seed);
  const between = ([lo, hi]: [number, number]) => lo + random() * (hi - lo);
  const blink = new Float32Array(frames);
  const brow = new Float32Array(frames);
  const blinkLen = BLINK_CLOSE_S + BLINK_HOLD_S + BLINK_OPEN_S;
  for (let start = 0.6 + random() * 2.4; start * fps < frames; start += between(BLINK_GAP_S)) {
    // About one blink in seven is a double blink.
    const starts = random() < 0.15 ? [start, start + blinkLen + 0.05] : [start];
    for (const s of starts) {
      for (let f = Math.floor(s * fps); f < Math.min(frames, Math.ceil((s + blinkLen) * fps)); f++) {
        blink[f] = Math.max(blink[f]!, envelope(f / fps - s, BLINK_CLOSE_S, BLINK_HOLD_S, BLINK_OPEN_S));
      }
    }
  }
  const raiseLen = RAISE_UP_S + RAISE_HOLD_S + RAISE_DOWN_S;
  for (let start = between(RAISE_GAP_S) * 0.5; start * fps < frames; start += between(RAISE_GAP_S)) {
    const f0 = Math.floor(start * fps);
    if ((openness[f0] ?? 0) < 0.3) continue;
    const amount = 0.5 + 0.5 * random();
    for (let f = f0; f < Math.min(frames, Math.ceil((start + raiseLen) * fps)); f++) {
      brow[f] = amount * envelope(f / fps - start, RAISE_UP_S, RAISE_HOLD_S, RAISE_DOWN_S);
    }
  }
  return { blink, brow };
}

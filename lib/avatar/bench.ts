import "server-only";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { detectFaceLandmarks } from "@/lib/avatar/landmarks";
import { clearPreparedAvatars, prepareAvatar, prepareAvatarFromPersona } from "@/lib/avatar/prepare";
import type { PreparedAvatar } from "@/lib/avatar/types";
import { VisemeRenderer } from "@/lib/avatar/viseme-renderer";
import type { MouthPose } from "@/lib/speech/types";

export interface PrepareBench {
  /** Detector + landmark network per portrait, warm models (median of `runs`). */
  landmarkMs: number;
  /** First detection in the process, including model loading. */
  firstLandmarkMs: number;
  /** Photo preparation with an empty cache, and again from the disk cache in a fresh process state. */
  prepareColdMs: number;
  prepareCachedMs: number;
  /** Artwork preparation (SVG render, declared landmarks), cold. */
  artworkColdMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const value = await fn();
  return [value, performance.now() - t];
}

export async function benchAvatarPrepare(photoPath: string, knowledgeDir: string, runs = 10): Promise<PrepareBench> {
  const bytes = await readFile(photoPath);
  const [, firstLandmarkMs] = await timed(() => detectFaceLandmarks(bytes));
  const landmarkMs: number[] = [];
  for (let i = 0; i < runs; i++) landmarkMs.push((await detectFaceLandmarks(bytes)).detectMs);
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), "avatar-bench-"));
  try {
    clearPreparedAvatars();
    const [, prepareColdMs] = await timed(() => prepareAvatar({ bytes }, { cacheDir }));
    clearPreparedAvatars();
    const [, prepareCachedMs] = await timed(() => prepareAvatar({ bytes }, { cacheDir }));
    const [, artworkColdMs] = await timed(() => prepareAvatarFromPersona("triage", { knowledgeDir }));
    return { landmarkMs: median(landmarkMs), firstLandmarkMs, prepareColdMs, prepareCachedMs, artworkColdMs };
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

export interface RendererBench {
  frames: number;
  /** Frames per second on one core once the avatar's patches exist (the steady state). */
  framesPerSecondPerCore: number;
  /** Drawing and encoding every patch of one avatar (what `warm` costs, once per avatar per process). */
  warmMs: number;
  /** Time to the first patch of a first utterance on a cold avatar. */
  firstPatchMs: number;
  /** Encoded patch sizes, and the stream's bytes per second of speech. */
  mouthPatchBytes: { min: number; mean: number; max: number };
  eyePatchBytes: { mean: number };
  bytesPerSecond: number;
}

/** A speech-like pose track: syllables every ~180 ms with varying vowels, pauses between phrases. */
function speechPoses(frames: number): MouthPose[] {
  return Array.from({ length: frames }, (_, i) => {
    const phrase = i % 100 < 85;
    const syllable = Math.max(0, Math.sin((i / 4.5) * Math.PI));
    return {
      open: phrase ? syllable * (0.4 + (0.6 * ((i * 7) % 11)) / 10) : 0,
      width: phrase ? ((i * 3) % 7) / 6 : 0,
      round: phrase && i % 17 < 5 ? 0.8 : 0,
    };
  });
}

export async function benchVisemeRenderer(avatar: PreparedAvatar, frames = 25 * 600): Promise<RendererBench> {
  const poses = speechPoses(frames);
  const cold = new VisemeRenderer();
  const t0 = performance.now();
  const first = await cold.render({ avatar, poses: poses.slice(0, 250), fps: 25 }).next();
  const firstPatchMs = performance.now() - t0;
  if (first.done) throw new Error("the benchmark track produced no patch");

  const renderer = new VisemeRenderer();
  const [, warmMs] = await timed(() => renderer.warm(avatar));
  const mouth: number[] = [];
  const eyes: number[] = [];
  let bytes = 0;
  const t = performance.now();
  for await (const patch of renderer.render({ avatar, poses, fps: 25 })) {
    bytes += patch.data.length;
    (patch.box.y > avatar.leftEye.y + avatar.leftEye.height ? mouth : eyes).push(patch.data.length);
  }
  const elapsed = (performance.now() - t) / 1000;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    frames,
    framesPerSecondPerCore: frames / elapsed,
    warmMs,
    firstPatchMs,
    mouthPatchBytes: { min: Math.min(...mouth), mean: mean(mouth), max: Math.max(...mouth) },
    eyePatchBytes: { mean: mean(eyes) },
    bytesPerSecond: bytes / (frames / 25),
  };
}

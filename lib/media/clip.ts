import "server-only";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import type { PreparedAvatar } from "@/lib/avatar/types";
import { AppError } from "@/lib/errors";
import type { Lang } from "@/lib/persona/persona";
import type { PcmAudio } from "@/lib/speech/types";
import { encodeWav } from "@/lib/speech/wav";
import type { MediaService, SpokenSentence } from "./media-service";

/** A whole answer rendered as full frames and one audio track: what `npm run say` turns into an MP4. */
export interface Clip {
  avatar: PreparedAvatar;
  fps: number;
  audio: PcmAudio;
  /** Full JPEG frames: the still with each frame's patches composited, as the page would draw them. */
  frames: Uint8Array[];
  sentences: SpokenSentence[];
  timings: { firstSentenceMs: number; totalMs: number };
}

export async function renderClip(
  media: MediaService,
  request: { personaId: string; text: string; lang: Lang; avatar?: PreparedAvatar },
): Promise<Clip> {
  const t0 = performance.now();
  const sentences: SpokenSentence[] = [];
  let firstSentenceMs = 0;
  for await (const s of media.speak(request.personaId, request.text, { lang: request.lang, avatar: request.avatar })) {
    firstSentenceMs ||= performance.now() - t0;
    sentences.push(s);
  }
  const avatar = request.avatar ?? (await media.avatarFor(request.personaId));
  const fps = sentences[0]?.fps ?? 25;
  const sampleRate = sentences[0]?.audio.sampleRate ?? 16000;
  const samples = new Int16Array(sentences.reduce((n, s) => n + s.audio.samples.length, 0));
  let offset = 0;
  for (const s of sentences) {
    samples.set(s.audio.samples, offset);
    offset += s.audio.samples.length;
  }
  const totalFrames = Math.ceil((samples.length / sampleRate) * fps);
  const patchesAt: { input: Buffer; left: number; top: number }[][] = Array.from({ length: totalFrames }, () => []);
  for (const s of sentences) {
    const first = Math.round((s.startMs * fps) / 1000);
    for (const f of s.frames) {
      patchesAt[first + f.seq]?.push({ input: Buffer.from(f.data), left: f.box.x, top: f.box.y });
    }
  }
  const still = Buffer.from(avatar.image);
  const frames = await Promise.all(
    patchesAt.map(
      async (patches) => new Uint8Array(await sharp(still).composite(patches).jpeg({ quality: 85 }).toBuffer()),
    ),
  );
  return {
    avatar,
    fps,
    audio: { sampleRate, samples },
    frames,
    sentences,
    timings: { firstSentenceMs, totalMs: performance.now() - t0 },
  };
}

export function hasFfmpeg(): boolean {
  return spawnSync("ffmpeg", ["-version"], { stdio: "ignore" }).status === 0;
}

/** Encodes a clip as H.264 + AAC in an MP4 with Debian's ffmpeg. */
export async function writeMp4(clip: Clip, out: string): Promise<void> {
  if (!hasFfmpeg()) {
    throw new AppError(
      "unavailable",
      "ffmpeg is not installed (Debian: apt-get install ffmpeg), so no MP4 can be written",
    );
  }
  const dir = await mkdtemp(path.join(tmpdir(), "clip-"));
  try {
    const wav = path.join(dir, "audio.wav");
    await writeFile(wav, encodeWav(clip.audio));
    // Frames go in through a pipe; the even-size filter keeps yuv420p happy with odd portrait sizes.
    const args = [
      "-y",
      "-loglevel",
      "error",
      "-f",
      "image2pipe",
      "-framerate",
      String(clip.fps),
      "-c:v",
      "mjpeg",
      "-i",
      "-",
    ];
    args.push("-i", wav, "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-preset", "veryfast");
    args.push("-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "+faststart", out);
    const ffmpeg = spawn("ffmpeg", args, { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    ffmpeg.stderr.on("data", (d) => {
      stderr += d;
    });
    const done = new Promise<number>((resolve, reject) => {
      ffmpeg.on("error", reject);
      ffmpeg.on("close", (code) => resolve(code ?? 1));
    });
    for (const frame of clip.frames) {
      if (!ffmpeg.stdin.write(frame)) await new Promise((r) => ffmpeg.stdin.once("drain", r));
    }
    ffmpeg.stdin.end();
    const code = await done;
    if (code !== 0) throw new AppError("internal", `ffmpeg failed (${code}): ${stderr.trim().slice(-500)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Box } from "@/lib/avatar/types";
import { type Clip, hasFfmpeg, renderClip, writeMp4 } from "./clip";
import { MediaService } from "./media-service";

const PORTRAIT = path.resolve(process.cwd(), "../shared/fixtures/avatars/usnavy_grace_hopper_matplotlib_512x600.jpg");

/** Mean absolute difference of the mouth region between each frame and the still portrait. */
async function mouthMotion(clip: Clip): Promise<number[]> {
  const m = clip.avatar.mouth;
  const region = (img: Uint8Array, box: Box) =>
    sharp(Buffer.from(img))
      .extract({
        left: Math.round(box.x),
        top: Math.round(box.y),
        width: Math.round(box.width),
        height: Math.round(box.height),
      })
      .greyscale()
      .raw()
      .toBuffer();
  const still = await region(clip.avatar.image, m);
  return Promise.all(
    clip.frames.map(async (f) => {
      const px = await region(f, m);
      let sum = 0;
      for (let i = 0; i < px.length; i++) sum += Math.abs(px[i]! - still[i]!);
      return sum / px.length;
    }),
  );
}

/** Audio loudness (RMS) over each video frame's span. */
function envelope(clip: Clip): number[] {
  const per = clip.audio.sampleRate / clip.fps;
  return clip.frames.map((_, i) => {
    let sum = 0;
    const from = Math.floor(i * per);
    const to = Math.min(clip.audio.samples.length, Math.floor((i + 1) * per));
    for (let j = from; j < to; j++) sum += clip.audio.samples[j]! ** 2;
    return Math.sqrt(sum / Math.max(1, to - from));
  });
}

function correlation(a: number[], b: number[]): number {
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const ma = mean(a);
  const mb = mean(b);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - ma) * (b[i]! - mb);
    da += (a[i]! - ma) ** 2;
    db += (b[i]! - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

/** Mouth motion follows speech: correlated with loudness, and closed through a pause between sentences. */
async function expectLipSync(clip: Clip) {
  const motion = await mouthMotion(clip);
  const env = envelope(clip);
  const loud = Math.max(...env);
  expect(correlation(motion, env)).toBeGreaterThan(0.4);
  // Frames deep inside silence (this and both neighbours quiet) show a closed mouth: the still's own pixels.
  const quiet = env.map(
    (v, i) => v < loud * 0.02 && (env[i - 1] ?? 0) < loud * 0.02 && (env[i + 1] ?? 0) < loud * 0.02,
  );
  const speaking = env.map((v) => v > loud * 0.25);
  const quietMotion = motion.filter((_, i) => quiet[i]);
  const speakingMotion = motion.filter((_, i) => speaking[i]);
  expect(quietMotion.length).toBeGreaterThan(3);
  const avg = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  expect(avg(speakingMotion)).toBeGreaterThan(4 * Math.max(0.5, avg(quietMotion)));
}

describe("talking-head clips (real TTS, real renderer)", () => {
  let dir: string;
  let media: MediaService;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "clip-"));
    media = new MediaService({ knowledgeDir: path.resolve("knowledge"), avatarCacheDir: path.join(dir, "avatars") });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("triage nurse, English: the mouth opens on speech and closes in the pause", async () => {
    const clip = await renderClip(media, {
      personaId: "triage",
      text: "Please sit down and rest. If the pain spreads to your arm, call 999 at once.",
      lang: "en",
    });
    expect(clip.sentences.map((s) => s.engines)).toEqual([
      { tts: "flite", lipsync: "viseme" },
      { tts: "flite", lipsync: "viseme" },
    ]);
    expect(clip.frames.length).toBe(Math.ceil((clip.audio.samples.length / clip.audio.sampleRate) * 25));
    await expectLipSync(clip);
  });

  it("support agent, Chinese", async () => {
    const clip = await renderClip(media, {
      personaId: "support",
      text: "您好，请先重置密码。然后重新登录。",
      lang: "zh",
    });
    expect(clip.sentences[0]?.engines.tts).toBe("espeak-ng");
    await expectLipSync(clip);
  });

  it("a real portrait photo, with detected landmarks, written to an MP4", async () => {
    const avatar = await media.prepareUploadedAvatar(await readFile(PORTRAIT));
    expect(avatar.landmarkSource).toBe("detected");
    const clip = await renderClip(media, {
      personaId: "support",
      text: "Your files will sync again shortly. Thank you for waiting.",
      lang: "en",
      avatar,
    });
    await expectLipSync(clip);
    if (!hasFfmpeg()) return;
    const out = path.join(dir, "photo.mp4");
    await writeMp4(clip, out);
    const probe = execFileSync(
      "ffprobe",
      ["-v", "error", "-show_entries", "stream=codec_name,nb_frames", "-of", "csv=p=0", out],
      { encoding: "utf8" },
    );
    expect(probe).toContain("h264");
    expect(probe).toContain("aac");
    expect(probe).toContain(`h264,${clip.frames.length}`);
  });

  it("refuses text with nothing to say", async () => {
    await expect(renderClip(media, { personaId: "triage", text: " [1] ", lang: "en" })).rejects.toThrow(
      /nothing to say/,
    );
  });
});

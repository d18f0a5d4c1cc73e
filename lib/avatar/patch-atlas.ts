import "server-only";
import sharp from "sharp";
import { type EyeState, eyesRig, renderEyes } from "@/lib/avatar/eye-warp";
import { mouthRig, renderMouth } from "@/lib/avatar/mouth-warp";
import { decodeRgb, type RgbImage } from "@/lib/avatar/raster";
import type { Box, FramePatch, PreparedAvatar } from "@/lib/avatar/types";
import type { MouthPose } from "@/lib/speech/types";

/**
 * Poses are quantised so that every patch an avatar can show is drawn and encoded once, then looked up per frame.
 * 8 open levels are finer than the eye can follow at 25 fps; width and round move less and need fewer.
 */
export const MOUTH_LEVELS = { open: 8, width: 4, round: 3 } as const;
export const EYE_LEVELS = { blink: 5, brow: 4 } as const;
export const MOUTH_STATES = MOUTH_LEVELS.open * MOUTH_LEVELS.width * MOUTH_LEVELS.round;
export const EYE_STATES = EYE_LEVELS.blink * EYE_LEVELS.brow;

const level = (x: number, levels: number) => Math.round(Math.min(1, Math.max(0, x)) * (levels - 1));

/** Index of the quantised pose; 0 is the closed, neutral mouth (the still itself). */
export function mouthState(pose: MouthPose): number {
  const { open, width, round } = MOUTH_LEVELS;
  return (level(pose.open, open) * width + level(pose.width, width)) * round + level(pose.round, round);
}

export function mouthPose(state: number): MouthPose {
  const { open, width, round } = MOUTH_LEVELS;
  return {
    open: Math.floor(state / (width * round)) / (open - 1),
    width: (Math.floor(state / round) % width) / (width - 1),
    round: (state % round) / (round - 1),
  };
}

/** Index of the quantised eye state; 0 is open eyes and resting brows (the still). */
export function eyeState(state: EyeState): number {
  return level(state.blink, EYE_LEVELS.blink) * EYE_LEVELS.brow + level(state.brow, EYE_LEVELS.brow);
}

function eyeStateOf(index: number): EyeState {
  return {
    blink: Math.floor(index / EYE_LEVELS.brow) / (EYE_LEVELS.blink - 1),
    brow: (index % EYE_LEVELS.brow) / (EYE_LEVELS.brow - 1),
  };
}

export interface PatchEncoding {
  format: "jpeg" | "webp";
  /** 1-100. */
  quality: number;
}

type Region = "mouth" | "eyes";

/** One avatar's rigs and its lazily drawn, encoded patches. */
export class PatchAtlas {
  private readonly encoded = new Map<string, Promise<Uint8Array>>();
  private readonly ready = new Map<string, Uint8Array>();

  private constructor(
    private readonly still: RgbImage,
    private readonly mouth: ReturnType<typeof mouthRig>,
    private readonly eyes: ReturnType<typeof eyesRig>,
    private readonly encoding: PatchEncoding,
  ) {}

  static async create(avatar: PreparedAvatar, encoding: PatchEncoding): Promise<PatchAtlas> {
    const still = await decodeRgb(avatar.image);
    const mouth = mouthRig(avatar.landmarks, still);
    const eyes = eyesRig(avatar.landmarks, still);
    // The eye patch must never cover the mouth patch: frames composite both.
    const eyesBottom = Math.min(eyes.box.y + eyes.box.height, mouth.box.y);
    eyes.box = { ...eyes.box, height: Math.max(0, eyesBottom - eyes.box.y) };
    return new PatchAtlas(still, mouth, eyes, encoding);
  }

  get mime(): FramePatch["mime"] {
    return this.encoding.format === "webp" ? "image/webp" : "image/jpeg";
  }

  box(region: Region): Box {
    return region === "mouth" ? this.mouth.box : this.eyes.box;
  }

  /** Draws and encodes the given states (once each); afterwards `patch` answers them synchronously. */
  async ensure(region: Region, states: Iterable<number>): Promise<void> {
    const pending: Promise<Uint8Array>[] = [];
    for (const state of states) {
      if (state === 0) continue;
      const key = `${region}:${state}`;
      let job = this.encoded.get(key);
      if (!job) {
        job = this.encode(
          region === "mouth"
            ? renderMouth(this.still, this.mouth, mouthPose(state))
            : renderEyes(this.still, this.eyes, eyeStateOf(state)),
        );
        job.then((bytes) => this.ready.set(key, bytes)).catch(() => this.encoded.delete(key));
        this.encoded.set(key, job);
      }
      pending.push(job);
    }
    await Promise.all(pending);
  }

  /** Encoded patch of an ensured state. */
  patch(region: Region, state: number): Uint8Array {
    const bytes = this.ready.get(`${region}:${state}`);
    if (!bytes) throw new Error(`patch ${region}:${state} was not prepared`);
    return bytes;
  }

  async warm(): Promise<void> {
    await this.ensure(
      "mouth",
      Array.from({ length: MOUTH_STATES }, (_, i) => i),
    );
    await this.ensure(
      "eyes",
      Array.from({ length: EYE_STATES }, (_, i) => i),
    );
  }

  private async encode(image: RgbImage): Promise<Uint8Array> {
    const raw = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
    const { format, quality } = this.encoding;
    const out =
      format === "webp"
        ? await raw.webp({ quality, smartSubsample: true }).toBuffer()
        : await raw.jpeg({ quality, chromaSubsampling: "4:4:4", mozjpeg: true }).toBuffer();
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
}

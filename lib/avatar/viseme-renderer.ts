import "server-only";
import { hashSeed, idleTrack } from "@/lib/avatar/idle";
import { eyeState, mouthState, PatchAtlas, type PatchEncoding } from "@/lib/avatar/patch-atlas";
import type { FramePatch, LipSyncEngine, LipSyncRequest, PreparedAvatar } from "@/lib/avatar/types";

export interface VisemeRendererOptions {
  /** Seeds the idle motion (blinks, brow raises); the same seed, avatar and poses give the same frames. */
  seed?: number;
  encoding?: PatchEncoding;
  /** Atlases kept in memory, least recently used dropped first. */
  maxAvatars?: number;
}

/**
 * Lip-sync without a model: warps the portrait's mouth for each frame's pose, and adds blinks and brow raises.
 *
 * Frame contract: frame `seq` is the still portrait with that frame's patches drawn over it, at most one mouth
 * patch and one eye patch, whose boxes never overlap. A frame with no patch is the still (closed mouth, open eyes).
 * The boxes are the same for every frame of an avatar, and a given patch's bytes repeat, so a page may cache
 * decoded patches by their bytes.
 */
export class VisemeRenderer implements LipSyncEngine {
  readonly id = "viseme";
  private readonly atlases = new Map<string, Promise<PatchAtlas>>();
  private readonly seed: number;
  private readonly encoding: PatchEncoding;
  private readonly maxAvatars: number;

  constructor(options: VisemeRendererOptions = {}) {
    this.seed = options.seed ?? 1;
    this.encoding = options.encoding ?? { format: "jpeg", quality: 80 };
    this.maxAvatars = options.maxAvatars ?? 16;
  }

  /** Draws every patch of an avatar ahead of its first turn, so that turn pays only lookups. */
  async warm(avatar: PreparedAvatar): Promise<void> {
    await (await this.atlas(avatar)).warm();
  }

  async *render(request: LipSyncRequest): AsyncGenerator<FramePatch> {
    const { avatar, poses, fps, signal } = request;
    signal?.throwIfAborted();
    const atlas = await this.atlas(avatar);
    const mouth = Uint16Array.from(poses, mouthState);
    const seed = hashSeed([this.seed, ...Array.from(avatar.id, (c) => c.charCodeAt(0)), ...mouth]);
    const idle = idleTrack(
      poses.length,
      fps,
      seed,
      poses.map((p) => p.open),
    );
    const eyes = Uint16Array.from({ length: poses.length }, (_, i) =>
      eyeState({ blink: idle.blink[i]!, brow: idle.brow[i]! }),
    );
    const mouthBox = atlas.box("mouth");
    const eyesBox = atlas.box("eyes");
    const mime = atlas.mime;
    // Patches are drawn a second of frames at a time, so a cold avatar's first frame waits for one second's states only.
    const chunk = Math.max(1, Math.round(fps));
    for (let start = 0; start < poses.length; start += chunk) {
      const end = Math.min(poses.length, start + chunk);
      await Promise.all([
        atlas.ensure("mouth", new Set(mouth.subarray(start, end))),
        atlas.ensure("eyes", new Set(eyes.subarray(start, end))),
      ]);
      for (let seq = start; seq < end; seq++) {
        signal?.throwIfAborted();
        if (eyes[seq]! !== 0) yield { seq, box: eyesBox, mime, data: atlas.patch("eyes", eyes[seq]!) };
        if (mouth[seq]! !== 0) yield { seq, box: mouthBox, mime, data: atlas.patch("mouth", mouth[seq]!) };
      }
    }
  }

  private atlas(avatar: PreparedAvatar): Promise<PatchAtlas> {
    let atlas = this.atlases.get(avatar.id);
    if (atlas) {
      // Re-inserting marks it most recently used.
      this.atlases.delete(avatar.id);
    } else {
      atlas = PatchAtlas.create(avatar, this.encoding);
      atlas.catch(() => this.atlases.delete(avatar.id));
    }
    this.atlases.set(avatar.id, atlas);
    while (this.atlases.size > this.maxAvatars) this.atlases.delete(this.atlases.keys().next().value!);
    return atlas;
  }
}

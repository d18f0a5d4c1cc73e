import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FramePatch, LipSyncRequest, PreparedAvatar } from "@/lib/avatar/types";
import { Wav2LipEngine } from "@/lib/avatar/wav2lip-engine";
import { speechLikeAudio, syntheticAvatar } from "@/lib/avatar/wav2lip-fixtures";
import { writeTinyWav2LipModel } from "@/lib/avatar/wav2lip-tiny-model";

let dir: string;
let modelPath: string;
let avatar: PreparedAvatar;
const engines: Wav2LipEngine[] = [];

function engine(options: Partial<ConstructorParameters<typeof Wav2LipEngine>[0]> = {}): Wav2LipEngine {
  const created = new Wav2LipEngine({ modelPath, ...options });
  engines.push(created);
  return created;
}

function request(samples: Int16Array, signal?: AbortSignal): LipSyncRequest {
  const frames = Math.ceil((samples.length * 25) / 16_000);
  return {
    avatar,
    poses: Array.from({ length: frames }, () => ({ open: 0, width: 0, round: 0 })),
    audio: { sampleRate: 16_000, samples },
    fps: 25,
    signal,
  };
}

async function collect(patches: AsyncIterable<FramePatch>): Promise<FramePatch[]> {
  const out: FramePatch[] = [];
  for await (const patch of patches) out.push(patch);
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wav2lip-"));
  modelPath = join(dir, "wav2lip.onnx");
  await writeTinyWav2LipModel(modelPath);
  avatar = await syntheticAvatar();
});

afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
  await rm(dir, { recursive: true, force: true });
});

describe("Wav2LipEngine on a tiny ONNX model", () => {
  it("renders 2 s of speech as 50 JPEG patches over the lower face, driven by the audio", async () => {
    const lips = engine();
    expect(lips.id).toBe("wav2lip:wav2lip.onnx");
    const speech = await collect(lips.render(request(speechLikeAudio(2))));
    expect(lips.provider).toBe("cpu");
    expect(speech.map((p) => p.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (const { box, mime } of speech) {
      expect(mime).toBe("image/jpeg");
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(avatar.width);
      expect(box.y + box.height).toBeLessThanOrEqual(avatar.height);
      // The patch covers the mouth.
      expect(box.y).toBeLessThanOrEqual(avatar.mouth.y);
      expect(box.y + box.height).toBeGreaterThanOrEqual(avatar.mouth.y + avatar.mouth.height);
    }
    const first = speech[0]!;
    const meta = await sharp(first.data).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", first.box.width, first.box.height]);

    const silence = await collect(lips.render(request(new Int16Array(32_000))));
    const mouthPixels = async (patch: FramePatch) => sharp(patch.data).raw().toBuffer();
    // Louder audio brightens the tiny model's output: frames differ where the audio differs, not where it doesn't.
    const [loud, quiet, quietToo] = await Promise.all([
      mouthPixels(speech[6]!),
      mouthPixels(silence[6]!),
      mouthPixels(silence[7]!),
    ]);
    expect(loud.equals(quiet)).toBe(false);
    expect(quiet.equals(quietToo)).toBe(true);
  });

  it("batches frames of concurrent requests into shared runs, and both complete", async () => {
    const lips = engine({ batchSize: 16, gatherMs: 5 });
    await lips.load();
    // 0.3 s = 8 frames each: alone, each would be a partial batch of 8.
    const [a, b] = await Promise.all([
      collect(lips.render(request(speechLikeAudio(0.3)))),
      collect(lips.render(request(speechLikeAudio(0.3, 16_000, 7)))),
    ]);
    expect(a).toHaveLength(8);
    expect(b).toHaveLength(8);
    const stats = await lips.stats();
    expect(stats.items).toBe(16);
    expect(stats.batches).toBe(1);
    expect(stats.largestBatch).toBe(16);
  });

  it("stops early when the request is aborted", async () => {
    const lips = engine({ batchSize: 4 });
    const controller = new AbortController();
    const seen: number[] = [];
    const run = (async () => {
      for await (const patch of lips.render(request(speechLikeAudio(4), controller.signal))) {
        seen.push(patch.seq);
        if (patch.seq === 5) controller.abort();
      }
    })();
    await expect(run).rejects.toThrow(/abort/i);
    expect(seen).toHaveLength(6);
    const { items } = await lips.stats();
    expect(items).toBeLessThan(100);
  });

  it("maps other exports' input names (audio_sequences / face_sequences)", async () => {
    const renamed = join(dir, "renamed.onnx");
    await writeTinyWav2LipModel(renamed, { mel: "audio_sequences", face: "face_sequences", output: "pred" });
    const patches = await collect(engine({ modelPath: renamed }).render(request(speechLikeAudio(0.2))));
    expect(patches).toHaveLength(5);
  });

  it("runs an export with a fixed batch of 1 one frame at a time", async () => {
    const single = join(dir, "batch1.onnx");
    await writeTinyWav2LipModel(single, { batch: 1 });
    const lips = engine({ modelPath: single, batchSize: 16 });
    expect(await collect(lips.render(request(speechLikeAudio(0.2))))).toHaveLength(5);
    expect((await lips.stats()).largestBatch).toBe(1);
  });

  it("says clearly when the model is missing or corrupt", async () => {
    const missing = join(dir, "nope.onnx");
    await expect(engine({ modelPath: missing }).load()).rejects.toThrow(
      `Wav2Lip model not found at ${missing}: the viseme renderer serves lip-sync instead`,
    );
    const corrupt = join(dir, "corrupt.onnx");
    await writeFile(corrupt, "this is not a protobuf");
    const broken = engine({ modelPath: corrupt });
    await expect(broken.load()).rejects.toThrow(`Wav2Lip model at ${corrupt} could not be loaded (corrupt`);
    await expect(collect(broken.render(request(speechLikeAudio(0.2))))).rejects.toThrow(/could not be loaded/);
  });
});

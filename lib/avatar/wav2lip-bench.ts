import "server-only";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LipSyncRequest, PreparedAvatar } from "@/lib/avatar/types";
import type { BatcherStats } from "@/lib/avatar/wav2lip-batcher";
import { Wav2LipEngine, type Wav2LipProvider } from "@/lib/avatar/wav2lip-engine";
import { speechLikeAudio, syntheticAvatar } from "@/lib/avatar/wav2lip-fixtures";
import { melSpectrogram, toMelInput } from "@/lib/avatar/wav2lip-mel";
import { writeTinyWav2LipModel } from "@/lib/avatar/wav2lip-tiny-model";

export interface Wav2LipBenchOptions {
  /** A Wav2Lip ONNX export; without one the tiny test graph is measured (the engine's own overhead). */
  modelPath?: string;
  /** Audio per request. */
  seconds?: number;
  batchSizes?: number[];
  /** Requests rendered at once in the concurrent run. */
  concurrency?: number;
  threads?: number;
}

export interface Wav2LipRun {
  batchSize: number;
  requests: number;
  frames: number;
  /** Finished patches (model + resize + blend + JPEG) per second of wall time, all requests together. */
  framesPerSecond: number;
  /** session.run time per frame. */
  modelMsPerFrame: number;
  meanBatch: number;
}

export interface Wav2LipBenchResult {
  model: string;
  provider: Wav2LipProvider;
  melMsPerAudioSecond: number;
  runs: Wav2LipRun[];
}

const FPS = 25;

function request(avatar: PreparedAvatar, seconds: number, variant: number): LipSyncRequest {
  return {
    avatar,
    poses: [],
    audio: { sampleRate: 16_000, samples: speechLikeAudio(seconds, 16_000, 3 + variant) },
    fps: FPS,
  };
}

async function drain(engine: Wav2LipEngine, req: LipSyncRequest): Promise<number> {
  let frames = 0;
  for await (const _ of engine.render(req)) frames++;
  return frames;
}

async function measure(
  engine: Wav2LipEngine,
  avatar: PreparedAvatar,
  seconds: number,
  requests: number,
  batchSize: number,
): Promise<Wav2LipRun> {
  await drain(engine, request(avatar, 0.2, 0));
  const before: BatcherStats = { ...(await engine.stats()) };
  const started = performance.now();
  const counts = await Promise.all(
    Array.from({ length: requests }, (_, i) => drain(engine, request(avatar, seconds, i))),
  );
  const wallMs = performance.now() - started;
  const after = await engine.stats();
  const frames = counts.reduce((a, b) => a + b, 0);
  const batches = after.batches - before.batches;
  return {
    batchSize,
    requests,
    frames,
    framesPerSecond: (frames * 1000) / wallMs,
    modelMsPerFrame: (after.busyMs - before.busyMs) / frames,
    meanBatch: (after.items - before.items) / Math.max(1, batches),
  };
}

/** Frames per second of the Wav2Lip engine, one request at each batch size, then several requests at once. */
export async function benchWav2Lip(options: Wav2LipBenchOptions = {}): Promise<Wav2LipBenchResult> {
  const { seconds = 4, batchSizes = [1, 4, 16], concurrency = 4, threads } = options;
  const dir = options.modelPath ? undefined : await mkdtemp(join(tmpdir(), "wav2lip-bench-"));
  const modelPath = options.modelPath ?? join(dir!, "tiny-wav2lip.onnx");
  try {
    if (dir) await writeTinyWav2LipModel(modelPath);
    const avatar = await syntheticAvatar();

    const audio = toMelInput(speechLikeAudio(10), 16_000);
    melSpectrogram(audio);
    const melStarted = performance.now();
    melSpectrogram(audio);
    const melMsPerAudioSecond = (performance.now() - melStarted) / 10;

    const runs: Wav2LipRun[] = [];
    let provider: Wav2LipProvider = "cpu";
    const largest = Math.max(...batchSizes);
    for (const batchSize of batchSizes) {
      const engine = new Wav2LipEngine({ modelPath, batchSize, threads });
      try {
        provider = await engine.load();
        runs.push(await measure(engine, avatar, seconds, 1, batchSize));
        if (batchSize === largest && concurrency > 1)
          runs.push(await measure(engine, avatar, seconds, concurrency, batchSize));
      } finally {
        await engine.close();
      }
    }
    return { model: dir ? "tiny test graph (no weights)" : modelPath, provider, melMsPerAudioSecond, runs };
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

import "server-only";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import * as ort from "onnxruntime-node";
import type { FramePatch, LipSyncEngine, LipSyncRequest, PreparedAvatar } from "@/lib/avatar/types";
import { Batcher, type BatcherStats } from "@/lib/avatar/wav2lip-batcher";
import { type ChannelOrder, composePatch, FACE_SIZE, type FaceContext, prepareFace } from "@/lib/avatar/wav2lip-face";
import { frameCountFor, MEL_BANDS, MEL_STEP, wav2lipMelWindows } from "@/lib/avatar/wav2lip-mel";
import { AppError } from "@/lib/errors";

export interface Wav2LipEngineOptions {
  /** An ONNX export of Wav2Lip, e.g. `models/lipsync/wav2lip.onnx`. */
  modelPath: string;
  /** Most frames in one session.run, across all requests (a fixed-batch export lowers it to its own). */
  batchSize?: number;
  /** How long an idle engine waits for other requests' frames before running a partial batch. */
  gatherMs?: number;
  /** "auto" tries CUDA first and falls back to the CPU. */
  provider?: "auto" | "cpu";
  /** onnxruntime intra-op threads; its default is one per core. */
  threads?: number;
  channelOrder?: ChannelOrder;
  jpegQuality?: number;
}

export type Wav2LipProvider = "cuda" | "cpu";

interface FrameInput {
  mel: Float32Array;
  face: Float32Array;
}

interface LoadedModel {
  session: ort.InferenceSession;
  provider: Wav2LipProvider;
  batcher: Batcher<FrameInput, Float32Array>;
}

interface IoNames {
  mel: string;
  face: string;
  output: string;
  /** Set when the export fixed its batch dimension (often 1). */
  fixedBatch?: number;
}

const MEL_SIZE = MEL_BANDS * MEL_STEP;
const FACE_INPUT_SIZE = 6 * FACE_SIZE * FACE_SIZE;
const OUTPUT_SIZE = 3 * FACE_SIZE * FACE_SIZE;
const MEL_SHAPE = [1, MEL_BANDS, MEL_STEP];
const FACE_SHAPE = [6, FACE_SIZE, FACE_SIZE];

/** Once one session fails to get CUDA, later ones skip the attempt (and onnxruntime's error line on stderr). */
let cudaMissing = false;

function shapeOf(session: ort.InferenceSession, name: string): ReadonlyArray<number | string> | undefined {
  const meta = session.inputMetadata.find((m) => m.name === name);
  return meta?.isTensor && meta.shape.length > 0 ? meta.shape : undefined;
}

function matchesShape(shape: ReadonlyArray<number | string> | undefined, expected: number[]): boolean {
  return shape?.length === 4 && expected.every((d, i) => shape[i + 1] === d || typeof shape[i + 1] === "string");
}

/** Finds the mel and face inputs by name (`mel`/`audio`, `video`/`face`/`img`), else by shape. */
function ioNames(session: ort.InferenceSession, modelPath: string): IoNames {
  const inputs = session.inputNames;
  const byName = (pattern: RegExp) => inputs.find((n) => pattern.test(n));
  const byShape = (expected: number[]) => inputs.find((n) => matchesShape(shapeOf(session, n), expected));
  const mel = byName(/mel|audio/i) ?? byShape(MEL_SHAPE);
  const face = byName(/video|face|img|image/i) ?? byShape(FACE_SHAPE);
  const output = session.outputNames[0];
  const wrongShape =
    mel &&
    face &&
    ((shapeOf(session, mel) && !matchesShape(shapeOf(session, mel), MEL_SHAPE)) ||
      (shapeOf(session, face) && !matchesShape(shapeOf(session, face), FACE_SHAPE)));
  if (!mel || !face || mel === face || !output || wrongShape) {
    const found = inputs.map((n) => `${n} [${shapeOf(session, n)?.join(",") ?? "?"}]`).join(", ");
    throw new AppError(
      "unavailable",
      `${modelPath} is not a Wav2Lip model: its inputs are ${found}; expected mel [B,1,80,16] (named mel/audio) and face [B,6,96,96] (named video/face/img)`,
    );
  }
  const batch = shapeOf(session, face)?.[0];
  return { mel, face, output, fixedBatch: typeof batch === "number" && batch > 0 ? batch : undefined };
}

/**
 * Neural lip-sync on a Wav2Lip ONNX export: for each video frame, the 96x96 face crop (lower half masked) plus
 * the 80x16 mel window of the audio -> a new lower face, blended back into the portrait as a JPEG patch.
 * Frames from all concurrent requests share batched session runs.
 */
export class Wav2LipEngine implements LipSyncEngine {
  readonly id: string;
  private readonly options: Required<Omit<Wav2LipEngineOptions, "threads">> & { threads?: number };
  private loading: Promise<LoadedModel> | undefined;
  private servedBy: Wav2LipProvider | undefined;
  private readonly faces = new WeakMap<PreparedAvatar, Promise<FaceContext>>();

  constructor(options: Wav2LipEngineOptions) {
    this.options = {
      modelPath: options.modelPath,
      batchSize: Math.max(1, Math.floor(options.batchSize ?? 16)),
      gatherMs: options.gatherMs ?? 3,
      provider: options.provider ?? "auto",
      threads: options.threads,
      channelOrder: options.channelOrder ?? "bgr",
      jpegQuality: options.jpegQuality ?? 85,
    };
    this.id = `wav2lip:${basename(options.modelPath)}`;
  }

  /** The execution provider that serves, once loaded. */
  get provider(): Wav2LipProvider | undefined {
    return this.servedBy;
  }

  /** Batches run so far: how well frames from concurrent requests are being merged. */
  async stats(): Promise<BatcherStats> {
    return (await this.model()).batcher.stats;
  }

  /** Loads the model (once) and says which provider serves; rejects with a clear AppError when it is missing or unusable. */
  async load(): Promise<Wav2LipProvider> {
    return (await this.model()).provider;
  }

  private model(): Promise<LoadedModel> {
    this.loading ??= this.open().catch((err: unknown) => {
      // A model installed later is picked up by the next call.
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  async close(): Promise<void> {
    const loaded = this.loading;
    this.loading = undefined;
    await (await loaded?.catch(() => undefined))?.session.release();
  }

  private async open(): Promise<LoadedModel> {
    const { modelPath } = this.options;
    const found = await stat(modelPath).catch(() => undefined);
    if (!found?.isFile()) {
      throw new AppError(
        "unavailable",
        `Wav2Lip model not found at ${modelPath}: the viseme renderer serves lip-sync instead (put a Wav2Lip ONNX export there to enable it)`,
      );
    }
    const { session, provider } = await this.createSession();
    const names = ioNames(session, modelPath);
    const maxBatch = Math.max(1, Math.min(this.options.batchSize, names.fixedBatch ?? Number.POSITIVE_INFINITY));
    const batcher = new Batcher<FrameInput, Float32Array>({
      maxBatch,
      gatherMs: this.options.gatherMs,
      run: (items) => this.runBatch(session, names, items),
    });
    this.servedBy = provider;
    return { session, provider, batcher };
  }

  private async createSession(): Promise<{ session: ort.InferenceSession; provider: Wav2LipProvider }> {
    const { modelPath, threads } = this.options;
    const base: ort.InferenceSession.SessionOptions = threads ? { intraOpNumThreads: threads } : {};
    if (this.options.provider === "auto" && !cudaMissing) {
      try {
        const session = await ort.InferenceSession.create(modelPath, { ...base, executionProviders: ["cuda", "cpu"] });
        return { session, provider: "cuda" };
      } catch {
        // No CUDA provider in this runtime (or a bad model, which the CPU attempt reports).
      }
    }
    try {
      const session = await ort.InferenceSession.create(modelPath, { ...base, executionProviders: ["cpu"] });
      if (this.options.provider === "auto") cudaMissing = true;
      return { session, provider: "cpu" };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new AppError(
        "unavailable",
        `Wav2Lip model at ${modelPath} could not be loaded (corrupt or not an ONNX model: ${reason}); the viseme renderer serves lip-sync instead`,
        { cause: err },
      );
    }
  }

  private async runBatch(session: ort.InferenceSession, names: IoNames, items: FrameInput[]): Promise<Float32Array[]> {
    const n = items.length;
    const mel = new Float32Array(n * MEL_SIZE);
    const face = new Float32Array(n * FACE_INPUT_SIZE);
    items.forEach((item, i) => {
      mel.set(item.mel, i * MEL_SIZE);
      face.set(item.face, i * FACE_INPUT_SIZE);
    });
    const results = await session.run({
      [names.mel]: new ort.Tensor("float32", mel, [n, ...MEL_SHAPE]),
      [names.face]: new ort.Tensor("float32", face, [n, ...FACE_SHAPE]),
    });
    const output = results[names.output];
    if (output?.type !== "float32" || output.size !== n * OUTPUT_SIZE) {
      throw new AppError(
        "internal",
        `${this.id}: expected a float32 [${n},3,96,96] output, got ${output?.type} [${output?.dims.join(",")}]`,
      );
    }
    const data = output.data as Float32Array;
    return items.map((_, i) => data.slice(i * OUTPUT_SIZE, (i + 1) * OUTPUT_SIZE));
  }

  private face(avatar: PreparedAvatar): Promise<FaceContext> {
    let face = this.faces.get(avatar);
    if (!face) {
      face = prepareFace(avatar, this.options.channelOrder);
      face.catch(() => this.faces.delete(avatar));
      this.faces.set(avatar, face);
    }
    return face;
  }

  async *render(request: LipSyncRequest): AsyncIterable<FramePatch> {
    const { audio, fps, signal } = request;
    if (!audio)
      throw new AppError("bad_request", `${this.id} drives the lips from the audio, and the request has none`);
    signal?.throwIfAborted();
    const { batcher } = await this.model();
    const face = await this.face(request.avatar);
    const frameCount =
      request.poses.length > 0 ? request.poses.length : frameCountFor(audio.samples.length, audio.sampleRate, fps);
    const windows = wav2lipMelWindows(audio, frameCount, fps);
    const { channelOrder, jpegQuality, batchSize } = this.options;

    // Whole batches, two ahead: the next batch runs while this one's patches are resized and encoded
    // (topping up frame by frame instead would trickle in and make partial batches).
    const pending = new Map<number, Promise<FramePatch>>();
    let submitted = 0;
    const submit = (seq: number) => {
      const patch = batcher
        .submit({ mel: windows[seq]!, face: face.input }, signal)
        .then((output) => composePatch(face, output, seq, channelOrder, jpegQuality));
      // Frames left behind by an abort or an early return reject with nobody awaiting them.
      patch.catch(() => undefined);
      pending.set(seq, patch);
    };
    for (let seq = 0; seq < frameCount; seq++) {
      if (seq % batchSize === 0) while (submitted < Math.min(frameCount, seq + 2 * batchSize)) submit(submitted++);
      const patch = await pending.get(seq)!;
      pending.delete(seq);
      signal?.throwIfAborted();
      yield patch;
    }
  }
}

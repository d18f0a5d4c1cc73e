import "server-only";
import { existsSync } from "node:fs";
import path from "node:path";
import { prepareAvatar, prepareAvatarFromPersona } from "@/lib/avatar/prepare";
import type { FramePatch, LipSyncEngine, PreparedAvatar } from "@/lib/avatar/types";
import { VisemeRenderer } from "@/lib/avatar/viseme-renderer";
import { Wav2LipEngine } from "@/lib/avatar/wav2lip-engine";
import { env, projectPath } from "@/lib/config/env";
import { type Lang, loadPersona } from "@/lib/persona/persona";
import { createAsrEngine, PocketsphinxAsrEngine } from "@/lib/speech/asr";
import { createTtsEngine, synthesizeSentences, type WarmableTtsEngine } from "@/lib/speech/tts";
import type { AsrEngine, AsrStream, PcmAudio, Transcript } from "@/lib/speech/types";
import { mouthTrack } from "@/lib/speech/visemes";
import { concatSamples, decodeWav } from "@/lib/speech/wav";

export const FPS = 25;
/** A breath between sentences: engines trim trailing silence, and back-to-back sentences sound rushed. */
const SENTENCE_PAUSE_MS = 240;

/** One spoken sentence with its lip-sync frames; times are relative to the start of the answer. */
export interface SpokenSentence {
  seq: number;
  /** What was said, after normalisation for speech. */
  spokenText: string;
  audio: PcmAudio;
  startMs: number;
  durationMs: number;
  fps: number;
  /** Frame patches; `seq` counts frames from the start of this sentence. */
  frames: FramePatch[];
  engines: { tts: string; lipsync: string };
  timings: { ttsMs: number; lipsyncMs: number };
}

export interface SpeakOptions {
  lang: Lang;
  signal?: AbortSignal;
  /** Another portrait than the persona's own (e.g. a photo an admin is trying out). */
  avatar?: PreparedAvatar;
}

/**
 * The media stages in one place, loaded once per process: speech recognition, text to speech per sentence,
 * and lip-sync frames. The media worker process hosts one; the CLI and tests use one directly.
 */
export class MediaService {
  private asr: Promise<AsrEngine> | null = null;
  private readonly tts = new Map<string, WarmableTtsEngine>();
  private readonly avatars = new Map<string, Promise<PreparedAvatar>>();
  private readonly lipsync: LipSyncEngine;
  private readonly fallbackLipsync = new VisemeRenderer();

  constructor(
    private readonly dirs: { knowledgeDir: string; avatarCacheDir: string },
    options: { lipsync?: LipSyncEngine; asr?: AsrEngine } = {},
  ) {
    this.lipsync = options.lipsync ?? this.fallbackLipsync;
    if (options.asr) this.asr = Promise.resolve(options.asr);
  }

  /** Configured from the environment: Whisper and Wav2Lip when their models are installed. */
  static fromEnv(): MediaService {
    const e = env();
    const modelPath = projectPath(e.LIPSYNC_MODEL_PATH);
    const useWav2Lip = e.LIPSYNC_ENGINE === "wav2lip" || (e.LIPSYNC_ENGINE === "auto" && existsSync(modelPath));
    const service = new MediaService(
      {
        knowledgeDir: projectPath(e.KNOWLEDGE_DIR),
        avatarCacheDir: path.join(projectPath(e.DATA_DIR), "avatars"),
      },
      { lipsync: useWav2Lip ? new Wav2LipEngine({ modelPath }) : undefined },
    );
    service.asr = createAsrEngine({
      engine: e.ASR_ENGINE,
      whisper: { modelDir: projectPath(e.ASR_WHISPER_DIR) },
      pocketsphinx: { warmDecoders: e.ASR_WARM_DECODERS },
    });
    return service;
  }

  asrEngine(): Promise<AsrEngine> {
    this.asr ??= createAsrEngine();
    return this.asr;
  }

  async transcribe(wav: Uint8Array, lang?: Lang, signal?: AbortSignal): Promise<Transcript> {
    return (await this.asrEngine()).transcribe(decodeWav(wav), { lang, signal });
  }

  /**
   * Recognition while the person is still speaking: audio is decoded as it arrives, so the transcript follows the
   * end of speech closely. Engines that cannot stream get the whole recording at the end.
   */
  async listen(lang?: Lang): Promise<AsrStream> {
    const asr = await this.asrEngine();
    if (asr.stream) return asr.stream({ lang });
    const chunks: Int16Array[] = [];
    return {
      write: (chunk) => {
        chunks.push(chunk.slice());
      },
      end: () => asr.transcribe({ sampleRate: 16_000, samples: concatSamples(chunks) }, { lang }),
      abort: () => {
        chunks.length = 0;
      },
    };
  }

  ttsEngine(voice: { engine: string; id: string }, lang: Lang): WarmableTtsEngine {
    const key = `${voice.engine}:${voice.id}:${lang}`;
    let engine = this.tts.get(key);
    if (!engine) {
      engine = createTtsEngine(voice, lang);
      this.tts.set(key, engine);
    }
    return engine;
  }

  avatarFor(personaId: string): Promise<PreparedAvatar> {
    let avatar = this.avatars.get(personaId);
    if (!avatar) {
      avatar = prepareAvatarFromPersona(personaId, {
        knowledgeDir: this.dirs.knowledgeDir,
        cacheDir: this.dirs.avatarCacheDir,
      });
      avatar.catch(() => this.avatars.delete(personaId));
      this.avatars.set(personaId, avatar);
    }
    return avatar;
  }

  prepareUploadedAvatar(bytes: Uint8Array): Promise<PreparedAvatar> {
    return prepareAvatar({ bytes }, { cacheDir: this.dirs.avatarCacheDir });
  }

  /** Loads models, compiles TTS and draws each persona's patches, so the first turn waits for none of it. */
  async warm(personaIds: string[]): Promise<void> {
    const asr = await this.asrEngine();
    if (asr instanceof PocketsphinxAsrEngine) await asr.warm().catch(() => {}); // health names a missing recogniser
    for (const id of personaIds) {
      const persona = await loadPersona(id);
      for (const lang of persona.languages) await this.ttsEngine(persona.voice, lang).warmUp();
      const avatar = await this.avatarFor(id);
      if (this.lipsync instanceof VisemeRenderer) await this.lipsync.warm(avatar);
    }
  }

  /**
   * Speaks `text` sentence by sentence: each sentence's audio and frames are yielded as soon as they exist, so the
   * page plays sentence 1 while sentence 2 is synthesised.
   */
  async *speak(personaId: string, text: string, options: SpeakOptions): AsyncGenerator<SpokenSentence> {
    const persona = await loadPersona(personaId);
    const avatar = options.avatar ?? (await this.avatarFor(personaId));
    const tts = this.ttsEngine(persona.voice, options.lang);
    let startMs = 0;
    let seq = 0;
    let t = performance.now();
    for await (const speech of synthesizeSentences(tts, text, { lang: options.lang, signal: options.signal })) {
      const ttsMs = performance.now() - t;
      const rate = speech.audio.sampleRate;
      const samples = new Int16Array(speech.audio.samples.length + Math.round((rate * SENTENCE_PAUSE_MS) / 1000));
      samples.set(speech.audio.samples);
      const audio = { sampleRate: rate, samples };
      const durationMs = (samples.length / rate) * 1000;
      const t1 = performance.now();
      const poses = mouthTrack(speech.phonemes, durationMs, FPS);
      const frames: FramePatch[] = [];
      let lipsyncId = this.lipsync.id;
      try {
        for await (const f of this.lipsync.render({
          avatar,
          poses,
          audio,
          fps: FPS,
          signal: options.signal,
        })) {
          frames.push(f);
        }
      } catch (err) {
        if (options.signal?.aborted || this.lipsync === this.fallbackLipsync) throw err;
        // A neural engine that fails must not silence the answer: the viseme renderer takes over.
        frames.length = 0;
        for await (const f of this.fallbackLipsync.render({ avatar, poses, fps: FPS, signal: options.signal }))
          frames.push(f);
        lipsyncId = this.fallbackLipsync.id;
      }
      yield {
        seq: seq++,
        spokenText: speech.spokenText,
        audio,
        startMs,
        durationMs,
        fps: FPS,
        frames,
        engines: { tts: speech.engine, lipsync: lipsyncId },
        timings: { ttsMs, lipsyncMs: performance.now() - t1 },
      };
      startMs += durationMs;
      t = performance.now();
    }
  }
}

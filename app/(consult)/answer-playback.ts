import type { TurnEvent } from "@/lib/turn/events";

type AudioEvent = Extract<TurnEvent, { type: "audio" }>;
type VideoEvent = Extract<TurnEvent, { type: "video" }>;

export interface Patch {
  x: number;
  y: number;
  bitmap: ImageBitmap | null;
}

interface Sentence {
  startMs: number;
  durationMs: number;
  /** AudioContext time at which this sentence's first sample (and frame 0) plays. */
  when: number | null;
  source: AudioBufferSourceNode | null;
  fps: number;
  /** frames[f]: the patches drawn over the still for frame f; an empty or missing entry is the still. */
  frames: Patch[][];
}

export interface FrameState {
  /** Changes whenever what is on screen must change: a new frame, or a patch that finished decoding. */
  key: string;
  patches: Patch[];
  speaking: boolean;
}

/** Audio is scheduled this far ahead so the first sentence never starts mid-sample. */
const LEAD_S = 0.08;

function base64Bytes(data: string): Uint8Array<ArrayBuffer> {
  const raw = atob(data);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/**
 * Plays one answer at a time. The AudioContext clock is the only clock: each sentence's audio is scheduled at
 * `answerStart + startMs`, and the frame on screen is derived from `currentTime`, so picture and sound cannot drift.
 */
export class AnswerPlayback {
  private ctx: AudioContext | null = null;
  private answerStart: number | null = null;
  private sentences = new Map<number, Sentence>();
  /** Bumped by stop(): decodes that finish afterwards belong to a cancelled answer and are dropped. */
  private generation = 0;
  /** Sentences are scheduled in arrival order even though decodeAudioData may finish out of order. */
  private scheduling: Promise<void> = Promise.resolve();
  /** Patches repeat byte for byte (renderer contract), so each distinct patch is decoded once per tab. */
  private bitmaps = new Map<string, Promise<ImageBitmap | null>>();

  /** Call from a user gesture (click, key press): browsers only let a context created or resumed there play. */
  unlock(): void {
    this.ctx ??= new AudioContext();
    if (this.ctx.state === "suspended") void this.ctx.resume();
  }

  addAudio(event: AudioEvent): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const generation = this.generation;
    const sentence = this.sentence(event.seq, event.startMs);
    sentence.durationMs = event.durationMs;
    const decoded = ctx.decodeAudioData(base64Bytes(event.data).buffer);
    this.scheduling = this.scheduling.then(async () => {
      const buffer = await decoded.catch(() => null);
      if (!buffer || generation !== this.generation) return;
      const now = ctx.currentTime;
      this.answerStart ??= now + LEAD_S - event.startMs / 1000;
      let when = this.answerStart + event.startMs / 1000;
      if (when < now + LEAD_S) {
        // The sentence arrived after its slot: shift the rest of the answer with it, so sentences never overlap.
        this.answerStart += now + LEAD_S - when;
        when = now + LEAD_S;
      }
      const source = ctx.createBufferSource();
      source.buffer = buffer;
      source.connect(ctx.destination);
      source.start(when);
      sentence.when = when;
      sentence.durationMs = buffer.duration * 1000;
      sentence.source = source;
    });
  }

  addVideo(event: VideoEvent): void {
    const sentence = this.sentence(event.seq, event.startMs);
    sentence.fps = event.fps;
    for (const frame of event.frames) {
      const patch: Patch = { x: frame.x, y: frame.y, bitmap: null };
      const patches = sentence.frames[frame.f] ?? [];
      patches.push(patch);
      sentence.frames[frame.f] = patches;
      // Decoded now, ahead of the frame's time, so drawing never waits.
      void this.bitmap(frame.mime, frame.data).then((bitmap) => {
        patch.bitmap = bitmap;
      });
    }
    // Until (or unless) its audio arrives, the sentence lasts as long as its frames.
    if (!sentence.durationMs) sentence.durationMs = (sentence.frames.length / event.fps) * 1000;
  }

  /** What to draw now: the frame of whichever sentence is sounding at the AudioContext's current time. */
  frame(): FrameState {
    const ctx = this.ctx;
    if (!ctx || this.answerStart === null) return { key: "still", patches: [], speaking: false };
    const now = ctx.currentTime;
    for (const [seq, s] of this.sentences) {
      // Lip-sync without audio (speech failed) still follows the answer's timeline.
      const when = s.when ?? this.answerStart + s.startMs / 1000;
      const end = when + s.durationMs / 1000;
      if (now < when || now >= end) continue;
      const f = Math.floor((now - when) * s.fps);
      const patches = s.frames[f] ?? [];
      const ready = patches.filter((p) => p.bitmap).length;
      return { key: `${seq}:${f}:${ready}`, patches, speaking: s.when !== null };
    }
    return { key: "still", patches: [], speaking: false };
  }

  /** Silences the answer at once and forgets it (stop button, barge-in). */
  stop(): void {
    this.generation++;
    for (const s of this.sentences.values()) {
      try {
        s.source?.stop();
      } catch {
        // A source that was never started or already ended has nothing to stop.
      }
    }
    this.sentences.clear();
    this.answerStart = null;
    this.scheduling = Promise.resolve();
  }

  private sentence(seq: number, startMs: number): Sentence {
    let s = this.sentences.get(seq);
    if (!s) {
      s = { startMs, durationMs: 0, when: null, source: null, fps: 25, frames: [] };
      this.sentences.set(seq, s);
    }
    return s;
  }

  private bitmap(mime: string, data: string): Promise<ImageBitmap | null> {
    let hit = this.bitmaps.get(data);
    if (!hit) {
      hit = createImageBitmap(new Blob([base64Bytes(data)], { type: mime })).catch(() => null);
      this.bitmaps.set(data, hit);
    }
    return hit;
  }
}

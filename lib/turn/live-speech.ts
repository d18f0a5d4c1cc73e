import "server-only";
import { randomUUID } from "node:crypto";
import { env } from "@/lib/config/env";
import { AppError } from "@/lib/errors";
import type { Lang } from "@/lib/persona/persona";
import { type RecordingSlot, type RecordingSlots, recordingSlots } from "@/lib/protection/recording-slots";
import type { AsrStream } from "@/lib/speech/types";

/** A recording being recognised while the person speaks: its audio so far, in order. */
export interface LiveSpeech {
  readonly id: string;
  readonly personaId: string;
  readonly sessionId: string;
  readonly stream: AsrStream;
  /** Samples written so far; the turn compares them with its WAV before trusting the live transcript. */
  samples: number;
  nextSeq: number;
  /** A chunk went missing or came out of order: the turn recognises the WAV instead. */
  broken: boolean;
  lastSeen: number;
}

const SAMPLE_RATE = 16_000;
const IDLE_MS = 30_000;
/** Each open recording holds a decoder process; past this, new ones are refused until some end. */
const MAX_OPEN = 64;

export interface LiveSpeechOptions {
  /** Per-address shares of recognition; default this process's `recordingSlots()`. */
  slots?: RecordingSlots;
  /** Longest question in seconds of audio; default MAX_QUESTION_SECONDS. */
  maxQuestionS?: number;
}

/**
 * Live recordings of this web process, by id. The page opens one when speech starts, sends 16 kHz PCM chunks as it
 * records, and names it when it posts the finished WAV; the turn then takes the transcript that is already nearly
 * decoded. Everything here is an optimisation: a recording that is unknown (another web process, expired) or
 * incomplete is simply recognised from its WAV.
 */
export class LiveSpeechRegistry {
  private readonly open = new Map<string, LiveSpeech>();
  /**
   * What each open recording holds: a recording slot (freed when it is taken, cancelled or expires), when it started
   * and the audio received, written or not (a broken recording still counts towards the longest question).
   */
  private readonly held = new Map<string, { slot: RecordingSlot; startedAt: number; received: number }>();
  private readonly slotsFor: () => RecordingSlots;
  private readonly maxQuestionS: number;
  /** Wall-clock life of a recording: its audio plus slack, so one fed a chunk every few seconds does not live on. */
  private readonly maxAgeMs: number;

  constructor(
    private readonly listen: ((lang?: Lang) => AsrStream) | null,
    options: LiveSpeechOptions = {},
  ) {
    this.slotsFor = () => options.slots ?? recordingSlots();
    this.maxQuestionS = options.maxQuestionS ?? env().MAX_QUESTION_SECONDS;
    this.maxAgeMs = this.maxQuestionS * 1000 + IDLE_MS;
    setInterval(() => this.expire(), 5_000).unref();
  }

  /**
   * Starts recognising for a session; null when this deployment cannot recognise live (the WAV path serves).
   * Holds one of the client address's recording slots until the recording is taken, cancelled or expires: refused
   * with rate_limited (429, Retry-After) when the address already holds all of its share.
   */
  async start(personaId: string, sessionId: string, address = "local"): Promise<LiveSpeech | null> {
    if (!this.listen) return null;
    this.refuseIfFull();
    const slot = await this.slotsFor().acquire(address);
    try {
      this.refuseIfFull(); // others may have opened recordings while the slot was being counted
    } catch (err) {
      slot.release();
      throw err;
    }
    const speech: LiveSpeech = {
      id: randomUUID(),
      personaId,
      sessionId,
      stream: this.listen(),
      samples: 0,
      nextSeq: 0,
      broken: false,
      lastSeen: Date.now(),
    };
    this.open.set(speech.id, speech);
    this.held.set(speech.id, { slot, startedAt: Date.now(), received: 0 });
    return speech;
  }

  /**
   * The next chunk. A chunk out of order leaves the recording to be recognised from its WAV; audio past the longest
   * question closes the recording (payload_too_large), as the turn would refuse that question anyway.
   */
  append(id: string, seq: number, pcm: Int16Array): void {
    const speech = this.open.get(id);
    if (!speech) throw new AppError("not_found", "no recording in progress with that id (it may have expired)");
    speech.lastSeen = Date.now();
    const held = this.held.get(id);
    if (held) held.received += pcm.length;
    if ((held?.received ?? speech.samples + pcm.length) > this.maxQuestionS * SAMPLE_RATE) {
      this.cancel(id);
      throw new AppError(
        "payload_too_large",
        `the question is longer than ${this.maxQuestionS} s: the recording was stopped; ask a shorter question`,
      );
    }
    if (seq !== speech.nextSeq) {
      if (!speech.broken) speech.stream.abort(); // the turn will recognise its WAV instead
      speech.broken = true;
    }
    if (speech.broken) return;
    speech.nextSeq++;
    speech.samples += pcm.length;
    speech.stream.write(pcm);
  }

  /** Hands the recording to its turn (once); undefined when it is unknown or belongs to another session. */
  take(id: string, personaId: string, sessionId: string | undefined): LiveSpeech | undefined {
    const speech = this.open.get(id);
    if (!speech || speech.personaId !== personaId || speech.sessionId !== sessionId) return undefined;
    this.open.delete(id);
    this.releaseSlot(id);
    return speech;
  }

  cancel(id: string): void {
    this.open.get(id)?.stream.abort();
    this.open.delete(id);
    this.releaseSlot(id);
  }

  /** Recordings open now. */
  get size(): number {
    return this.open.size;
  }

  private refuseIfFull(): void {
    if (this.open.size >= MAX_OPEN) {
      throw new AppError("unavailable", "too many recordings in progress, retry in 2 s", { retryAfterS: 2 });
    }
  }

  private releaseSlot(id: string): void {
    this.held.get(id)?.slot.release();
    this.held.delete(id);
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, speech] of this.open) {
      const startedAt = this.held.get(id)?.startedAt ?? now;
      if (speech.lastSeen < now - IDLE_MS || startedAt < now - this.maxAgeMs) this.cancel(id);
    }
  }
}

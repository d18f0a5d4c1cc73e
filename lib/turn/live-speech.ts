import "server-only";
import { randomUUID } from "node:crypto";
import { AppError } from "@/lib/errors";
import type { Lang } from "@/lib/persona/persona";
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

const IDLE_MS = 30_000;
/** Each open recording holds a decoder process; past this, new ones are refused until some end. */
const MAX_OPEN = 64;
/** The same 5 minutes a recording upload may hold. */
const MAX_SAMPLES = 16_000 * 300;

/**
 * Live recordings of this web process, by id. The page opens one when speech starts, sends 16 kHz PCM chunks as it
 * records, and names it when it posts the finished WAV; the turn then takes the transcript that is already nearly
 * decoded. Everything here is an optimisation: a recording that is unknown (another web process, expired) or
 * incomplete is simply recognised from its WAV.
 */
export class LiveSpeechRegistry {
  private readonly open = new Map<string, LiveSpeech>();

  constructor(private readonly listen: ((lang?: Lang) => AsrStream) | null) {
    setInterval(() => this.expire(), 5_000).unref();
  }

  /** Starts recognising for a session; null when this deployment cannot recognise live (the WAV path serves). */
  start(personaId: string, sessionId: string): LiveSpeech | null {
    if (!this.listen) return null;
    if (this.open.size >= MAX_OPEN) throw new AppError("unavailable", "too many recordings in progress, retry in 2 s");
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
    return speech;
  }

  append(id: string, seq: number, pcm: Int16Array): void {
    const speech = this.open.get(id);
    if (!speech) throw new AppError("not_found", "no recording in progress with that id (it may have expired)");
    speech.lastSeen = Date.now();
    if (seq !== speech.nextSeq || speech.samples + pcm.length > MAX_SAMPLES) {
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
    return speech;
  }

  cancel(id: string): void {
    this.open.get(id)?.stream.abort();
    this.open.delete(id);
  }

  private expire(): void {
    const cutoff = Date.now() - IDLE_MS;
    for (const [id, speech] of this.open) if (speech.lastSeen < cutoff) this.cancel(id);
  }
}

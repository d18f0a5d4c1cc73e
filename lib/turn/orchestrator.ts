import "server-only";
import { randomUUID } from "node:crypto";
import type { AnswerResult, AnswerService } from "@/lib/answer";
import { AppError, publicError, toAppError } from "@/lib/errors";
import { detectLang } from "@/lib/knowledge/text";
import type { SpokenSentence } from "@/lib/media/media-service";
import { degraded, observeTurn, turnFailed, turnStarted } from "@/lib/metrics";
import type { Lang } from "@/lib/persona/persona";
import { DeadlineError, type MediaPriority, WorkerLostError } from "@/lib/queue/types";
import { SentenceBuffer } from "@/lib/speech/sentences";
import type { Transcript } from "@/lib/speech/types";
import { decodeWav, encodeWav } from "@/lib/speech/wav";
import type { TurnEvent } from "./events";
import type { LiveSpeech } from "./live-speech";

/** What a turn needs from the media stages: the in-process MediaService or a media worker process. */
export interface TurnMedia {
  transcribe(wav: Uint8Array, lang?: Lang, signal?: AbortSignal): Promise<Transcript>;
  speak(
    personaId: string,
    text: string,
    options: { lang: Lang; signal?: AbortSignal; priority?: MediaPriority },
  ): AsyncIterable<SpokenSentence>;
}

export interface TurnRequest {
  personaId: string;
  sessionId?: string;
  text?: string;
  wav?: Uint8Array;
  /** The client went away: stop everything for this turn. */
  signal?: AbortSignal;
  /** The same recording, recognised while it was spoken; used when it holds exactly the WAV's samples. */
  live?: LiveSpeech;
}

export interface TurnDeps {
  media: TurnMedia;
  answers: (personaId: string) => Promise<AnswerService>;
  /** Engine ids for the done event when a stage did not run (text turns have no ASR). */
  lipsyncEngine: string;
  /**
   * Tells other web processes that this session started a turn, so one still speaking there stops (barge-in
   * across a load balancer). Unset on one process.
   */
  announceTurn?: (sessionId: string, turnId: string) => void;
  /** Speech synthesised ahead of the listener, at most; unset or 0 synthesises the whole answer at once. */
  speechLeadMs?: number;
}

/** Resolves after `ms`, or at once when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Events of one turn, pushed by two concurrent tasks (answer text, speech) and read by one consumer. */
class EventQueue {
  private readonly items: TurnEvent[] = [];
  private wake: (() => void) | null = null;
  private open = 0;
  private failure: unknown;

  push(e: TurnEvent): void {
    this.items.push(e);
    this.wake?.();
  }

  /** Runs a producer; the queue ends when every producer has finished, and rethrows the first failure. */
  run(task: Promise<void>): void {
    this.open++;
    task
      .catch((err) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.open--;
        this.wake?.();
      });
  }

  async *drain(): AsyncGenerator<TurnEvent> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.open === 0) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }
}

/**
 * One spoken or typed question through the whole pipeline, as a stream of turn events: transcript, safety, sources,
 * answer text, and per sentence its audio and lip-sync frames. Speech of sentence 1 overlaps the writing of
 * sentence 2. A new turn in the same session cancels the one still speaking (barge-in); sessions never see each
 * other's events because every turn has its own stream.
 */
export class TurnOrchestrator {
  private readonly speaking = new Map<string, { turnId: string; controller: AbortController }>();

  constructor(private readonly deps: TurnDeps) {}

  /**
   * The recording's transcript: from live recognition when it received exactly this recording (decoding is then
   * nearly done when the upload arrives), else from the WAV.
   */
  private async transcribe(
    wav: Uint8Array,
    live: LiveSpeech | undefined,
    signal: AbortSignal,
  ): Promise<Transcript & { live: boolean }> {
    if (live) {
      if (!live.broken && live.samples === decodeWav(wav).samples.length) {
        const onAbort = () => live.stream.abort();
        signal.addEventListener("abort", onAbort, { once: true });
        try {
          return { ...(await live.stream.end()), live: true };
        } catch (err) {
          // Bad audio fails the same way from the WAV; a lost worker is worth the second try.
          if (signal.aborted || !(err instanceof WorkerLostError)) throw err;
        } finally {
          signal.removeEventListener("abort", onAbort);
        }
      } else live.stream.abort();
    }
    return { ...(await this.deps.media.transcribe(wav, undefined, signal)), live: false };
  }

  /** Another process took this session over: stop the turn speaking here, unless it is that very turn. */
  cancelSession(sessionId: string, exceptTurnId?: string): void {
    const current = this.speaking.get(sessionId);
    if (current && current.turnId !== exceptTurnId) {
      current.controller.abort(new AppError("bad_request", "a newer turn in this session took over"));
    }
  }

  async *run(request: TurnRequest): AsyncGenerator<TurnEvent> {
    const t0 = performance.now();
    const since = () => Math.round(performance.now() - t0);
    const sessionId = request.sessionId ?? randomUUID();
    const turnId = randomUUID();
    const controller = new AbortController();
    this.cancelSession(sessionId);
    this.speaking.set(sessionId, { turnId, controller });
    this.deps.announceTurn?.(sessionId, turnId);
    const endActive = turnStarted(request.personaId, sessionId);
    const kind = request.wav ? "voice" : "text";
    const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;
    const timings = { asrMs: 0, retrieveMs: 0, firstTextMs: 0, firstAudioMs: 0, firstVideoMs: 0, totalMs: 0 };
    const engines = { asr: "none", llm: "none", tts: "none", lipsync: this.deps.lipsyncEngine };

    try {
      yield { type: "turn", turnId, sessionId };
      if (!request.text?.trim() && !request.wav) throw new AppError("bad_request", "a turn needs text or audio");

      let question = request.text?.trim() ?? "";
      let lang: Lang = detectLang(question);
      let live: boolean | undefined;
      if (request.wav) {
        const transcript = await this.transcribe(request.wav, request.live, signal);
        timings.asrMs = since();
        engines.asr = transcript.engine;
        question = transcript.text;
        lang = transcript.lang;
        live = transcript.live;
      }
      yield live === undefined
        ? { type: "transcript", text: question, lang }
        : { type: "transcript", text: question, lang, live };

      const service = await this.deps.answers(request.personaId);
      const queue = new EventQueue();
      const sentences: string[] = [];
      const speaker: { wake: (() => void) | null } = { wake: null };
      let answerEnded = false;
      let result: AnswerResult | undefined;

      // Task 1: the answer, streamed; completed sentences are handed to the speaker as they appear.
      queue.run(
        (async () => {
          const buffer = new SentenceBuffer(lang);
          try {
            for await (const ev of service.ask(question, { sessionId, lang, signal })) {
              if (ev.type === "safety") {
                queue.push({
                  type: "safety",
                  level: ev.level,
                  message: ev.message,
                  ...(ev.informational && { informational: true }),
                });
              } else if (ev.type === "sources") {
                queue.push({
                  type: "sources",
                  sources: ev.sources.map(({ n, docId, title, page, snippet }) => ({ n, docId, title, page, snippet })),
                });
              } else if (ev.type === "text") {
                timings.firstTextMs ||= since();
                queue.push({ type: "text", delta: ev.delta });
                sentences.push(...buffer.push(ev.delta));
                speaker.wake?.();
              } else result = ev.result;
            }
            sentences.push(...buffer.flush());
          } finally {
            answerEnded = true;
            speaker.wake?.();
          }
        })(),
      );

      // Task 2: speech and frames, one sentence after another, while the answer goes on.
      queue.run(
        (async () => {
          let startMs = 0;
          let seq = 0;
          let playingSince = 0;
          for (let i = 0; ; i++) {
            while (i >= sentences.length && !answerEnded) await new Promise<void>((r) => (speaker.wake = r));
            const sentence = sentences[i];
            if (sentence === undefined || signal.aborted) return;
            // A lone citation or markup has nothing to say.
            if (!/[\p{L}\p{N}]/u.test(sentence.replace(/\[[\d,，、\s-]+\]|【[\d,，、\s-]+】/g, ""))) continue;
            // Keep only a few seconds of speech ahead of the listener: the rest of the answer can wait its turn, so
            // other people's first sentences are not queued behind it (and nothing is wasted on a barge-in).
            const lead = this.deps.speechLeadMs ?? 0;
            if (seq > 0 && lead > 0) {
              const ahead = startMs - (performance.now() - playingSince);
              if (ahead > lead) await sleep(ahead - lead, signal);
              if (signal.aborted) return;
            }
            // The first sentence starts a turn; later ones must arrive before the one playing ends.
            const priority: MediaPriority = seq === 0 ? "new-turn" : "next-sentence";
            try {
              for await (const s of this.deps.media.speak(request.personaId, sentence, { lang, signal, priority })) {
                engines.tts = s.engines.tts;
                engines.lipsync = s.engines.lipsync;
                if (!timings.firstAudioMs) {
                  timings.firstAudioMs = since();
                  playingSince = performance.now();
                }
                queue.push({
                  type: "audio",
                  seq,
                  mime: "audio/wav",
                  data: Buffer.from(encodeWav(s.audio)).toString("base64"),
                  startMs: startMs + s.startMs,
                  durationMs: Math.round(s.durationMs),
                });
                if (s.frames.length) timings.firstVideoMs ||= since();
                queue.push({
                  type: "video",
                  seq,
                  fps: s.fps,
                  startMs: startMs + s.startMs,
                  frames: s.frames.map((f) => ({
                    f: f.seq,
                    x: f.box.x,
                    y: f.box.y,
                    w: f.box.width,
                    h: f.box.height,
                    mime: f.mime,
                    data: Buffer.from(f.data).toString("base64"),
                  })),
                });
                seq++;
                startMs += s.durationMs;
              }
            } catch (err) {
              if (signal.aborted) return;
              // Speech failing must not cost the person the answer: the text keeps coming, without a voice.
              const code = err instanceof DeadlineError ? "speech_late" : "tts_failed";
              degraded(code);
              queue.push({ type: "notice", code, message: `the answer is text only: ${toAppError(err).message}` });
              return;
            }
          }
        })(),
      );

      for await (const ev of queue.drain()) yield ev;
      const answer = result as AnswerResult | undefined;
      if (answer?.degraded) {
        degraded("llm_fallback");
        yield { type: "notice", code: "llm_fallback", message: answer.degraded };
      }
      timings.retrieveMs = answer?.timings.retrieveMs ?? 0;
      timings.totalMs = since();
      observeTurn(request.personaId, kind, { timings, cancelled: signal.aborted });
      yield {
        type: "done",
        timings,
        engines: { ...engines, llm: answer?.engine ?? "none" },
        citations: answer?.citations ?? [],
        abstained: answer?.abstained ?? false,
        cancelled: signal.aborted,
      };
    } catch (err) {
      if (signal.aborted) {
        timings.totalMs = since();
        observeTurn(request.personaId, kind, { timings, cancelled: true });
        yield { type: "done", timings, engines, citations: [], abstained: false, cancelled: true };
        return;
      }
      const e = publicError(err, `turn ${turnId} (${request.personaId})`);
      turnFailed(request.personaId, e.code);
      yield { type: "error", code: e.code, message: e.message };
    } finally {
      request.live?.stream.abort(); // a turn that failed before using it must not leave its decoder waiting
      endActive();
      if (this.speaking.get(sessionId)?.controller === controller) this.speaking.delete(sessionId);
    }
  }
}

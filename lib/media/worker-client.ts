import "server-only";
import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import type { PreparedAvatar } from "@/lib/avatar/types";
import { AppError, type ErrorCode, ErrorCodes } from "@/lib/errors";
import { countError } from "@/lib/metrics";
import type { Lang } from "@/lib/persona/persona";
import { WorkerLostError } from "@/lib/queue/types";
import type { AsrStream, Transcript } from "@/lib/speech/types";
import type { SpokenSentence } from "./media-service";
import type { FromMediaWorker, MediaWorkerRequest, ToMediaWorker } from "./worker-protocol";

type Listener = (msg: FromMediaWorker) => void;

/**
 * The web process's handle on a media worker process: the same calls as MediaService, answered over IPC.
 * The worker starts on first use; if it dies, requests in flight fail with a clear error and the next
 * request starts a fresh one.
 */
export class MediaWorkerClient {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 1;
  private readonly listeners = new Map<number, Listener>();

  constructor(private readonly entry = path.resolve(process.cwd(), "workers/media.ts")) {}

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const child = fork(this.entry, [], {
      execArgv: ["--conditions=react-server", "--import", "tsx"],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => {
        const why = `the media worker stopped (${signal ?? `exit code ${code}`})`;
        if (this.listeners.size) {
          console.warn(`[media] pid ${child.pid}: ${why} with ${this.listeners.size} jobs in hand`);
          countError("media_worker_lost");
        }
        this.child = null;
        this.ready = null;
        reject(new WorkerLostError(why));
        for (const [id, listener] of this.listeners) {
          listener({ type: "error", id, code: "unavailable", message: why, lost: true });
        }
        this.listeners.clear();
      };
      child.once("exit", onExit);
      child.on("message", (msg: FromMediaWorker) => {
        if (msg.type === "ready") resolve();
        else this.listeners.get(msg.id)?.(msg);
      });
    });
    return this.ready;
  }

  /** Streams one request's messages until it ends; aborting the signal cancels it in the worker. */
  private async *request(msg: MediaWorkerRequest, signal?: AbortSignal, onSent?: () => void) {
    await this.start();
    const queue: FromMediaWorker[] = [];
    let wake: (() => void) | null = null;
    this.listeners.set(msg.id, (m) => {
      queue.push(m);
      wake?.();
    });
    const onAbort = () => this.child?.send({ type: "abort", id: msg.id } satisfies ToMediaWorker);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      this.child?.send(msg);
      onSent?.();
      for (;;) {
        if (!queue.length) await new Promise<void>((r) => (wake = r));
        wake = null;
        const m = queue.shift();
        if (!m) continue;
        if (m.type === "end") return;
        if (m.type === "error") {
          if (m.lost) throw new WorkerLostError(m.message);
          const code = (m.code in ErrorCodes ? m.code : "internal") as ErrorCode;
          throw new AppError(code, m.message);
        }
        yield m;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.listeners.delete(msg.id);
    }
  }

  async *speak(
    personaId: string,
    text: string,
    options: { lang: Lang; signal?: AbortSignal },
  ): AsyncGenerator<SpokenSentence> {
    const id = this.nextId++;
    for await (const m of this.request({ type: "speak", id, personaId, text, lang: options.lang }, options.signal)) {
      if (m.type === "sentence") yield m.sentence;
    }
  }

  /**
   * Live recognition in the worker: audio is decoded as it is written, and `end()` gives the transcript soon
   * after the last chunk. Chunks travel in order after the request that opens the session.
   */
  listen(lang?: Lang, signal?: AbortSignal): AsrStream {
    const id = this.nextId++;
    let markSent: () => void = () => {};
    const sent = new Promise<void>((resolve) => {
      markSent = resolve;
    });
    const transcript = (async () => {
      for await (const m of this.request({ type: "listen", id, lang }, signal, markSent)) {
        if (m.type === "transcript") return m.transcript;
      }
      throw new AppError("internal", "the media worker ended live recognition without a transcript");
    })();
    transcript.catch(() => {}); // read through end(); an abandoned session must not raise an unhandled rejection
    const post = (m: ToMediaWorker) => void sent.then(() => this.child?.send(m));
    return {
      write: (pcm) => post({ type: "listen-audio", id, pcm }),
      end: () => {
        post({ type: "listen-end", id });
        return transcript;
      },
      abort: () => post({ type: "abort", id }),
    };
  }

  async transcribe(wav: Uint8Array, lang?: Lang, signal?: AbortSignal): Promise<Transcript> {
    const id = this.nextId++;
    for await (const m of this.request({ type: "transcribe", id, wav, lang }, signal)) {
      if (m.type === "transcript") return m.transcript;
    }
    throw new AppError("internal", "the media worker ended a transcription without a transcript");
  }

  /** The persona's prepared portrait: the still the page draws and the boxes its frame patches land in. */
  async avatar(personaId: string): Promise<PreparedAvatar> {
    for await (const m of this.request({ type: "avatar", id: this.nextId++, personaId })) {
      if (m.type === "avatar") return m.avatar;
    }
    throw new AppError("internal", "the media worker ended an avatar request without an avatar");
  }

  async warm(personaIds: string[]): Promise<void> {
    for await (const _ of this.request({ type: "warm", id: this.nextId++, personaIds })) {
      // warming sends nothing but its end
    }
  }

  /** Stops the worker process (it leaves when its IPC channel closes); the next request starts another. */
  close(): void {
    if (this.child?.connected) this.child.disconnect();
  }

  /** The worker's process id (for operators and fault tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }
}

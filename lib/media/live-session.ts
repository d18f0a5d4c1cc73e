import type { AsrStream, Transcript } from "@/lib/speech/types";

/**
 * One person speaking, recognised while they speak. Audio that arrives before the recogniser is ready is kept and
 * fed to it in order; `end()` may come before it is ready too. `transcript` settles once, after `end()`.
 */
export class LiveSession {
  readonly transcript: Promise<Transcript>;
  private stream: AsrStream | null = null;
  private readonly backlog: Int16Array[] = [];
  private ended = false;
  private aborted = false;
  private finish: (() => void) | null = null;

  constructor(open: Promise<AsrStream>) {
    this.transcript = new Promise<Transcript>((resolve, reject) => {
      open.then((stream) => {
        if (this.aborted) return stream.abort();
        this.stream = stream;
        for (const chunk of this.backlog.splice(0)) stream.write(chunk);
        this.finish = () => stream.end().then(resolve, reject);
        if (this.ended) this.finish();
      }, reject);
    });
    this.transcript.catch(() => {}); // an abandoned session must not raise an unhandled rejection
  }

  write(pcm: Int16Array): void {
    if (this.ended) return;
    if (this.stream) this.stream.write(pcm);
    else this.backlog.push(pcm);
  }

  end(): Promise<Transcript> {
    if (!this.ended) {
      this.ended = true;
      this.finish?.();
    }
    return this.transcript;
  }

  abort(): void {
    this.aborted = true;
    this.ended = true;
    this.stream?.abort();
  }
}

/** Audio sent while the person is still speaking, so recognition is nearly done when they stop. */
const CHUNK_SAMPLES = 1600; // 100 ms at 16 kHz
/** The finished recording is not held back longer than this for chunks still on their way. */
const FINISH_WAIT_MS = 1000;

/**
 * Streams a recording to `/api/personas/{persona}/speech` as it is made: opened when speech starts, 100 ms PCM
 * chunks in order, and the id handed to the turn with the finished WAV. Best effort throughout: any failure
 * only means the server recognises the WAV itself.
 */
export class LiveUpload {
  private readonly id: Promise<string | null>;
  private chain: Promise<void>;
  private pending: Int16Array[] = [];
  private pendingSamples = 0;
  private seq = 0;
  private failed = false;

  constructor(
    private readonly base: string,
    sessionId: Promise<string>,
  ) {
    this.id = sessionId
      .then((id) => fetch(`${base}?sessionId=${encodeURIComponent(id)}`, { method: "POST" }))
      .then(async (res) => (res.ok ? ((await res.json()) as { speechId: string | null }).speechId : null))
      .catch(() => null);
    this.chain = this.id.then(() => undefined);
  }

  static start(personaId: string, sessionId: Promise<string>): LiveUpload {
    return new LiveUpload(`/api/personas/${encodeURIComponent(personaId)}/speech`, sessionId);
  }

  push(pcm: Int16Array): void {
    this.pending.push(pcm);
    this.pendingSamples += pcm.length;
    if (this.pendingSamples >= CHUNK_SAMPLES) this.send();
  }

  /** Sends what is left; resolves with the id to name in the turn, or undefined when the server should not use it. */
  async finish(): Promise<string | undefined> {
    this.send();
    const sent = await Promise.race([
      this.chain.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), FINISH_WAIT_MS)),
    ]);
    const id = await this.id;
    return sent && id && !this.failed ? id : undefined;
  }

  cancel(): void {
    this.failed = true;
    void this.id.then((id) => {
      if (id) fetch(`${this.base}/${id}`, { method: "DELETE" }).catch(() => undefined);
    });
  }

  private send(): void {
    if (!this.pendingSamples) return;
    const chunk = new Int16Array(this.pendingSamples);
    let at = 0;
    for (const p of this.pending) {
      chunk.set(p, at);
      at += p.length;
    }
    this.pending = [];
    this.pendingSamples = 0;
    const seq = this.seq++;
    // One request at a time keeps the chunks in order on the server.
    this.chain = this.chain.then(async () => {
      const id = await this.id;
      if (!id || this.failed) return;
      const res = await fetch(`${this.base}/${id}?seq=${seq}`, {
        method: "PUT",
        headers: { "content-type": "application/octet-stream" },
        body: chunk,
      }).catch(() => null);
      if (!res?.ok) this.failed = true;
    });
  }
}

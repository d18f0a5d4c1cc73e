/**
 * Collects single items from any number of callers into batches for one runner: one batch in flight at a time
 * (a second concurrent session.run only fights the first for the same cores), items arriving within `gatherMs`
 * of an idle start share a batch, and whatever queued while a batch ran goes out as soon as it ends.
 */
export interface BatcherOptions<I, O> {
  maxBatch: number;
  gatherMs: number;
  run(items: I[]): Promise<O[]>;
}

export interface BatcherStats {
  batches: number;
  items: number;
  largestBatch: number;
  /** Time spent inside `run`, to tell model time from the callers' own work. */
  busyMs: number;
}

interface Pending<I, O> {
  item: I;
  signal?: AbortSignal;
  resolve(output: O): void;
  reject(reason: unknown): void;
}

export class Batcher<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  readonly stats: BatcherStats = { batches: 0, items: 0, largestBatch: 0, busyMs: 0 };

  constructor(private readonly options: BatcherOptions<I, O>) {}

  submit(item: I, signal?: AbortSignal): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, signal, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running) return;
    if (this.queue.length >= this.options.maxBatch) {
      void this.flush();
      return;
    }
    this.timer ??= setTimeout(() => void this.flush(), this.options.gatherMs);
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // Items of aborted requests are dropped here rather than computed and thrown away.
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const pending = this.queue[i]!;
      if (pending.signal?.aborted) {
        this.queue.splice(i, 1);
        pending.reject(pending.signal.reason);
      }
    }
    const batch = this.queue.splice(0, this.options.maxBatch);
    if (batch.length === 0) return;
    this.running = true;
    const started = performance.now();
    try {
      const outputs = await this.options.run(batch.map((p) => p.item));
      for (const [i, p] of batch.entries()) p.resolve(outputs[i]!);
      this.stats.batches++;
      this.stats.items += batch.length;
      this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
      this.stats.busyMs += performance.now() - started;
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.running = false;
      if (this.queue.length > 0) void this.flush();
    }
  }
}

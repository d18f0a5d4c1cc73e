import "server-only";
import { type ChildProcess, fork } from "node:child_process";
import { access } from "node:fs/promises";
import { cpus } from "node:os";
import type { StopReason } from "@/lib/answer/types";
import { projectPath } from "@/lib/config/env";
import { AppError } from "@/lib/errors";
import type { FromWorker, GenerateInput, GenerationOptions, LlmWorkerConfig, ToWorker, WorkerReady } from "./protocol";

export interface LlmWorkerClientOptions extends Partial<Omit<LlmWorkerConfig, "modelPath">> {
  modelPath: string;
  /** The worker's entry file; defaults to the project's `workers/llm.ts`. */
  workerEntry?: string;
  /** A model that takes longer than this to load counts as failed. */
  loadTimeoutMs?: number;
}

export type GenerateEvent =
  | { type: "start"; passages: number[]; promptTokens: number }
  | { type: "delta"; text: string }
  | { type: "end"; text: string; stopReason: StopReason; tokens: number };

/** Events for one request, from the IPC handler to the request's async iterator. */
class Channel {
  private readonly items: GenerateEvent[] = [];
  private error: Error | undefined;
  private closed = false;
  private wake: (() => void) | undefined;

  push(event: GenerateEvent): void {
    this.items.push(event);
    if (event.type === "end") this.closed = true;
    this.wake?.();
  }
  fail(error: Error): void {
    this.error ??= error;
    this.closed = true;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<GenerateEvent> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.error) throw this.error;
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}

interface WorkerProcess {
  child: ChildProcess;
  ready: Promise<WorkerReady>;
  pending: Map<number, Channel>;
  stderr: string;
}

/** A tsx-run TypeScript entry, resolved like the rest of the server code (`server-only`'s react-server build). */
const EXEC_ARGV = ["--conditions=react-server", "--import", "tsx"];

/**
 * The parent's handle on one LLM worker process. The model is loaded in a child process because llama.cpp aborts
 * the whole process on some malformed files; here that is an error for the requests, never a crash. The worker
 * starts on the first request and again on the first request after it died.
 */
export class LlmWorkerClient {
  readonly config: LlmWorkerConfig;
  private readonly workerEntry: string;
  private readonly loadTimeoutMs: number;
  private worker: WorkerProcess | undefined;
  private starting: Promise<WorkerProcess> | undefined;
  private nextId = 0;

  constructor(options: LlmWorkerClientOptions) {
    this.config = {
      modelPath: options.modelPath,
      gpu: options.gpu ?? false,
      threads: options.threads ?? cpus().length,
      sequences: options.sequences ?? 4,
      contextSize: options.contextSize ?? null,
      maxQueue: options.maxQueue ?? 32,
      batchWindowMs: options.batchWindowMs ?? 0,
    };
    this.workerEntry = options.workerEntry ?? projectPath("workers/llm.ts");
    this.loadTimeoutMs = options.loadTimeoutMs ?? 120_000;
  }

  /** The worker's process id while one runs. */
  get pid(): number | undefined {
    return this.worker?.child.pid;
  }

  /** Starts the worker if needed and resolves once the model is loaded. */
  async ready(): Promise<WorkerReady> {
    return (await this.start()).ready;
  }

  async *generate(
    input: GenerateInput,
    options: GenerationOptions,
    signal?: AbortSignal,
  ): AsyncGenerator<GenerateEvent> {
    if (signal?.aborted) {
      yield { type: "end", text: "", stopReason: "abort", tokens: 0 };
      return;
    }
    const w = await this.start();
    await w.ready;
    const id = ++this.nextId;
    const channel = new Channel();
    w.pending.set(id, channel);
    this.hold(w);
    const abort = () => post(w, { type: "abort", id });
    signal?.addEventListener("abort", abort, { once: true });
    let ended = false;
    try {
      if (!post(w, { type: "generate", id, input, options })) {
        throw new AppError("unavailable", "The LLM worker process is not running; try again.");
      }
      for await (const event of channel) {
        ended = event.type === "end";
        yield event;
      }
    } finally {
      signal?.removeEventListener("abort", abort);
      // The consumer stopped early: free the sequence for others.
      if (!ended) abort();
      w.pending.delete(id);
      this.hold(w);
    }
  }

  /** Stops the worker; a later request starts a new one. */
  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.worker = undefined;
    this.starting = undefined;
    if (w.child.exitCode !== null || w.child.signalCode !== null) return;
    const exited = new Promise((resolve) => w.child.once("exit", resolve));
    // An idle worker is unreferenced: without this, a CLI's loop could end before the exit it awaits.
    w.child.ref();
    w.child.kill();
    await exited;
  }

  private start(): Promise<WorkerProcess> {
    this.starting ??= this.launch().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async launch(): Promise<WorkerProcess> {
    const { modelPath } = this.config;
    try {
      await access(modelPath);
    } catch {
      throw new AppError(
        "unavailable",
        `LLM model file not found: ${modelPath}. Run \`npm run models:pull\` to install one, or point the model path at a GGUF file.`,
      );
    }
    const w = this.spawn();
    this.worker = w;
    w.child.send({ type: "init", config: this.config } satisfies ToWorker);
    return w;
  }

  private spawn(): WorkerProcess {
    const { modelPath } = this.config;
    const child = fork(this.workerEntry, [], { execArgv: EXEC_ARGV, stdio: ["ignore", "ignore", "pipe", "ipc"] });
    let settle: { resolve: (r: WorkerReady) => void; reject: (e: Error) => void } | undefined;
    const ready = new Promise<WorkerReady>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // A load failure is reported to whoever awaits it; nobody awaiting is no reason for an unhandled rejection.
    ready.catch(() => {});
    const w: WorkerProcess = { child, ready, pending: new Map(), stderr: "" };
    const loadFailed = (why: string) => {
      settle?.reject(new AppError("unavailable", `Could not load LLM model ${modelPath}: ${why}`));
      settle = undefined;
    };
    const timer = setTimeout(() => {
      loadFailed(`it did not load within ${this.loadTimeoutMs / 1000} s.`);
      child.kill();
    }, this.loadTimeoutMs);
    timer.unref();

    child.stderr?.on("data", (chunk: Buffer) => {
      w.stderr = (w.stderr + chunk.toString("utf8")).slice(-2000);
    });
    child.on("message", (m: FromWorker) => {
      if (m.type === "ready") {
        clearTimeout(timer);
        settle?.resolve(m);
        settle = undefined;
        return;
      }
      if (m.type === "load-error") {
        loadFailed(`${m.message}. Is it a valid GGUF model file?`);
        return;
      }
      const channel = w.pending.get(m.id);
      if (!channel) return;
      if (m.type === "error") channel.fail(new AppError("unavailable", m.busy ? m.message : `LLM error: ${m.message}`));
      else if (m.type === "start") channel.push({ type: "start", passages: m.passages, promptTokens: m.promptTokens });
      else if (m.type === "delta") channel.push({ type: "delta", text: m.text });
      else channel.push({ type: "end", text: m.text, stopReason: m.stopReason, tokens: m.tokens });
    });
    child.on("error", (err) => loadFailed(`the worker process could not start (${err.message}).`));
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (this.worker === w) {
        this.worker = undefined;
        this.starting = undefined;
      }
      const how = signal ? `signal ${signal}` : `exit code ${code}`;
      const last = lastLine(w.stderr);
      const detail = last ? `: ${last}` : "";
      loadFailed(`the worker process died while loading it (${how}${detail}). Is it a valid GGUF model file?`);
      for (const channel of w.pending.values()) {
        channel.fail(
          new AppError(
            "unavailable",
            `The LLM worker process died while answering (${how}${detail}); the next request starts a new one.`,
          ),
        );
      }
      w.pending.clear();
    });
    return w;
  }

  /** An idle worker must not keep a CLI's event loop alive; a busy one must. */
  private hold(w: WorkerProcess): void {
    const busy = w.pending.size > 0;
    const channel = w.child.channel as { ref(): void; unref(): void } | null | undefined;
    if (busy) {
      w.child.ref();
      channel?.ref();
    } else {
      w.child.unref();
      channel?.unref();
    }
  }
}

function post(w: WorkerProcess, message: ToWorker): boolean {
  if (!w.child.connected) return false;
  w.child.send(message);
  return true;
}

/** The worker's last words on stderr: llama.cpp's assertion when it aborts, with the build path cut off. */
function lastLine(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const line = lines.findLast((l) => /assert|error|fail/i.test(l)) ?? lines.at(-1) ?? "";
  return line.replace(/^\S*\//, "").slice(0, 300);
}

import "server-only";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { access } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { AppError } from "@/lib/errors";
import type { Lang } from "@/lib/persona/persona";
import { noSpeech } from "@/lib/speech/asr/no-speech";
import { hasSpeech, splitAtSilences } from "@/lib/speech/asr/silence";
import type { AsrEngine, AsrOptions, AsrStream, PcmAudio, Transcript, WordTiming } from "@/lib/speech/types";
import { concatSamples, durationMs, pcmBytes, Resampler, resample } from "@/lib/speech/wav";

const RATE = 16_000;
const MODEL_DIR = "/usr/share/pocketsphinx/model/en-us";
const PACKAGES =
  "Debian packages pocketsphinx and pocketsphinx-en-us (apt-get install pocketsphinx pocketsphinx-en-us)";

export interface PocketsphinxOptions {
  /** The CLI; default `pocketsphinx_continuous` on PATH. */
  binary?: string;
  /** Acoustic model folder, language model and pronunciation dictionary; defaults are the Debian paths. */
  hmm?: string;
  /** An ARPA or binary language model; a persona's own (see `buildPersonaLanguageModel`) makes its words heard. */
  lm?: string;
  dict?: string;
  /** `transcribe()` cuts longer audio at pauses and decodes the pieces in parallel. */
  maxPieceMs?: number;
  /** Decoder processes one `transcribe()` call runs at once; default the CPU count. */
  concurrency?: number;
  /** Passed to the CLI as they are (e.g. `["-beam", "1e-60"]`). */
  extraArgs?: string[];
  /**
   * Decoders kept started and waiting for audio: each loads its model in ~0.37 s, which a waiting one has
   * already done when a recording arrives. 0 starts one per recording.
   */
  warmDecoders?: number;
}

export interface PocketsphinxStreamOptions extends AsrOptions {
  /** Rate of the chunks given to `write()`; other rates than 16 kHz are resampled as they arrive. */
  sampleRate?: number;
}

/** Keeps the end of the decoder's log, which is where its error lines are. */
const STDERR_TAIL = 8192;
const TIMING_LINE = /^(\S+) (\d+\.\d+) (\d+\.\d+) (-?[\d.e+-]+)$/;

/**
 * One `pocketsphinx_continuous` process reading raw 16 kHz PCM from its stdin while it decodes. Node gives a child
 * a socket, not a pipe, as stdin, and `/dev/stdin` cannot be opened on a socket (ENXIO), so `cat` relays it into
 * a real pipe. The pair runs in its own process group so that one kill stops both.
 */
class Decoder {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly result: Promise<string>;
  private killedBy: unknown;

  constructor(binary: string, args: string[]) {
    this.child = spawn("sh", ["-c", 'cat | "$0" "$@"', binary, ...args], { stdio: "pipe", detached: true });
    // A decoder that exits early makes writes fail with EPIPE; its exit status carries the real error.
    this.child.stdin.on("error", () => {});
    let stdout = "";
    let stderr = "";
    this.child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    this.child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr = (stderr + d).slice(-STDERR_TAIL);
    });
    this.result = new Promise((resolve, reject) => {
      this.child.on("error", (err) => {
        reject(new AppError("internal", `could not start ${binary}: ${err.message}`, { cause: err }));
      });
      this.child.on("close", (code, signal) => {
        if (this.killedBy !== undefined) reject(this.killedBy);
        else if (code === 0) resolve(stdout);
        // The shell's "command not found" and "not executable" statuses.
        else if (code === 127 || code === 126) {
          reject(new AppError("unavailable", `ASR binary "${binary}" not found: install the ${PACKAGES}`));
        } else {
          const errors = stderr
            .split("\n")
            .filter((l) => /^(ERROR|FATAL)/.test(l))
            .join("; ");
          reject(
            new AppError("internal", `${binary} failed (${signal ?? `exit ${code}`}): ${errors || stderr.trim()}`),
          );
        }
      });
    });
    // Nobody may await a decoder that was aborted; its rejection must not become an unhandled one.
    this.result.catch(() => {});
  }

  /** Still waiting for audio (a spare that died, e.g. killed from outside, must not be handed out). */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.killedBy === undefined;
  }

  write(samples: Int16Array): void {
    if (samples.length > 0 && this.child.stdin.writable) this.child.stdin.write(pcmBytes(samples));
  }

  finish(): Promise<string> {
    this.child.stdin.end();
    return this.result;
  }

  kill(reason: unknown): void {
    this.killedBy ??= reason;
    const { pid, exitCode, signalCode } = this.child;
    if (pid === undefined || exitCode !== null || signalCode !== null) return;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // The group ended between the check and the kill.
    }
  }
}

/** Words from the decoder's `-time yes` lines, without fillers (`<s>`, `<sil>`, `[NOISE]`) and variant marks. */
export function parseDecoderOutput(stdout: string, offsetMs = 0): WordTiming[] {
  const words: WordTiming[] = [];
  for (const line of stdout.split("\n")) {
    const m = TIMING_LINE.exec(line.trim());
    if (!m || /^[<[+]/.test(m[1]!)) continue;
    words.push({
      word: m[1]!.replace(/\(\d+\)$/, ""),
      startMs: Math.round(Number(m[2]) * 1000 + offsetMs),
      endMs: Math.round(Number(m[3]) * 1000 + offsetMs),
    });
  }
  return words;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}

/** English speech recognition with the CMU pocketsphinx CLI: no model download, ~0.3 real-time factor. */
export class PocketsphinxAsrEngine implements AsrEngine {
  readonly id = "pocketsphinx";
  readonly languages: Lang[] = ["en"];
  private readonly binary: string;
  private readonly args: string[];
  private readonly files: string[];
  private readonly maxPieceMs: number;
  private readonly concurrency: number;
  private readonly warmDecoders: number;
  private readonly spares: Decoder[] = [];
  private checked?: Promise<void>;

  constructor(options: PocketsphinxOptions = {}) {
    this.binary = options.binary ?? "pocketsphinx_continuous";
    const hmm = options.hmm ?? `${MODEL_DIR}/en-us`;
    const lm = options.lm ?? `${MODEL_DIR}/en-us.lm.bin`;
    const dict = options.dict ?? `${MODEL_DIR}/cmudict-en-us.dict`;
    this.files = [hmm, lm, dict];
    // Raw PCM on stdin: the CLI skips a WAV header only for file names ending in .wav, so none is sent.
    this.args = [
      ...["-infile", "/dev/stdin", "-samprate", String(RATE), "-time", "yes"],
      ...["-hmm", hmm, "-lm", lm, "-dict", dict],
      ...(options.extraArgs ?? []),
    ];
    this.maxPieceMs = options.maxPieceMs ?? 15_000;
    this.concurrency = Math.max(1, options.concurrency ?? availableParallelism());
    this.warmDecoders = options.warmDecoders ?? 0;
  }

  /** Starts the waiting decoders (once the model files are known to be there). */
  async warm(): Promise<void> {
    await this.check();
    this.refill();
  }

  /** Resolves when the model files are in place; rejects with an error that names the Debian packages. */
  check(): Promise<void> {
    this.checked ??= Promise.all(
      this.files.map((f) =>
        access(f).catch((err) => {
          throw new AppError("unavailable", `pocketsphinx model file ${f} is missing: install the ${PACKAGES}`, {
            cause: err,
          });
        }),
      ),
    ).then(() => {});
    return this.checked;
  }

  async transcribe(audio: PcmAudio, options: AsrOptions = {}): Promise<Transcript> {
    this.checkLang(options.lang);
    options.signal?.throwIfAborted();
    await this.check();
    const pcm = resample(audio, RATE);
    if (!hasSpeech(pcm)) throw noSpeech("the audio is silent or steady noise");
    const pieces =
      durationMs(pcm) > this.maxPieceMs ? splitAtSilences(pcm, this.maxPieceMs) : [{ audio: pcm, offsetMs: 0 }];
    const results = await mapLimit(pieces, this.concurrency, async (piece) => {
      const decoder = this.start(options.signal);
      decoder.write(piece.audio.samples);
      return parseDecoderOutput(await decoder.finish(), piece.offsetMs);
    });
    return this.toTranscript(results.flat(), durationMs(pcm));
  }

  /**
   * Starts a decoder now (call it when speech starts: start-up costs ~0.37 s) and feeds it audio as it arrives,
   * so most of the decoding is done by the time the person stops speaking.
   */
  stream(options: PocketsphinxStreamOptions = {}): AsrStream {
    this.checkLang(options.lang);
    const rate = options.sampleRate ?? RATE;
    const resampler = rate === RATE ? undefined : new Resampler(rate, RATE);
    const decoder = this.start(options.signal);
    const ready = this.check().catch((err: unknown) => {
      decoder.kill(err);
      throw err;
    });
    ready.catch(() => {});
    const received: Int16Array[] = [];
    let ended = false;
    const push = (samples: Int16Array) => {
      received.push(samples);
      decoder.write(samples);
    };
    return {
      write: (chunk) => {
        if (ended) throw new AppError("internal", "ASR stream: write() after end()");
        push(resampler ? resampler.push(chunk) : chunk.slice());
      },
      end: async () => {
        ended = true;
        if (resampler) push(resampler.flush());
        await ready;
        const pcm: PcmAudio = { sampleRate: RATE, samples: concatSamples(received) };
        if (!hasSpeech(pcm)) {
          const err = noSpeech("the audio is silent or steady noise");
          decoder.kill(err);
          throw err;
        }
        return this.toTranscript(parseDecoderOutput(await decoder.finish()), durationMs(pcm));
      },
      abort: () => {
        ended = true;
        decoder.kill(new DOMException("The ASR stream was aborted.", "AbortError"));
      },
    };
  }

  private start(signal: AbortSignal | undefined): Decoder {
    let decoder = this.spares.shift();
    while (decoder && !decoder.alive) decoder = this.spares.shift();
    decoder ??= new Decoder(this.binary, this.args);
    if (this.warmDecoders > 0) setImmediate(() => this.refill());
    if (signal) {
      if (signal.aborted) decoder.kill(abortReason(signal));
      else signal.addEventListener("abort", () => decoder.kill(abortReason(signal)), { once: true });
    }
    return decoder;
  }

  private refill(): void {
    for (let i = this.spares.length - 1; i >= 0; i--) if (!this.spares[i]?.alive) this.spares.splice(i, 1);
    while (this.spares.length < this.warmDecoders) this.spares.push(new Decoder(this.binary, this.args));
  }

  private checkLang(lang: Lang | undefined): void {
    if (lang && !this.languages.includes(lang)) {
      throw new AppError(
        "unprocessable",
        `the pocketsphinx engine recognises English only, not "${lang}": install the Whisper model (npm run models:pull -- asr)`,
      );
    }
  }

  private toTranscript(words: WordTiming[], audioMs: number): Transcript {
    if (words.length === 0) throw noSpeech("no words were recognised");
    return { text: words.map((w) => w.word).join(" "), lang: "en", words, engine: this.id, audioMs };
  }
}

/** Runs `fn` over the items with at most `limit` in flight; results keep the items' order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

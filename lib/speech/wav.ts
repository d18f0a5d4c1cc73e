import { AppError } from "@/lib/errors";
import type { PcmAudio } from "@/lib/speech/types";

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;
/** Streaming writers (browsers, ffmpeg on a pipe) leave the data size unknown: 0 or 0xFFFFFFFF. */
const UNKNOWN_SIZES = new Set([0, 0xffffffff]);

interface WavFormat {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

function ascii(view: DataView, offset: number): string {
  return String.fromCharCode(
    view.getUint8(offset),
    view.getUint8(offset + 1),
    view.getUint8(offset + 2),
    view.getUint8(offset + 3),
  );
}

function readFormat(view: DataView, offset: number, size: number): WavFormat {
  if (size < 16) throw new AppError("unprocessable", "truncated WAV: fmt chunk is shorter than 16 bytes");
  let format = view.getUint16(offset, true);
  const bitsPerSample = view.getUint16(offset + 14, true);
  // WAVE_FORMAT_EXTENSIBLE keeps the real format in the first two bytes of the sub-format GUID.
  if (format === FORMAT_EXTENSIBLE && size >= 26) format = view.getUint16(offset + 24, true);
  return {
    format,
    channels: view.getUint16(offset + 2, true),
    sampleRate: view.getUint32(offset + 4, true),
    bitsPerSample,
    blockAlign: view.getUint16(offset + 12, true),
  };
}

function sampleReader(fmt: WavFormat): (view: DataView, offset: number) => number {
  const { format, bitsPerSample } = fmt;
  if (format === FORMAT_PCM) {
    if (bitsPerSample === 16) return (v, o) => v.getInt16(o, true);
    if (bitsPerSample === 8) return (v, o) => (v.getUint8(o) - 128) << 8;
    // The top two bytes of a little-endian 24-bit sample are its 16-bit value.
    if (bitsPerSample === 24) return (v, o) => v.getInt16(o + 1, true);
    if (bitsPerSample === 32) return (v, o) => v.getInt32(o, true) >> 16;
  }
  if (format === FORMAT_FLOAT && bitsPerSample === 32) return (v, o) => floatToInt16(v.getFloat32(o, true));
  if (format === FORMAT_FLOAT && bitsPerSample === 64) return (v, o) => floatToInt16(v.getFloat64(o, true));
  const kind = format === FORMAT_FLOAT ? "float" : format === FORMAT_PCM ? "integer PCM" : `format tag ${format}`;
  throw new AppError(
    "unsupported_media_type",
    `unsupported encoding: ${bitsPerSample}-bit ${kind} (expected PCM 8/16/24/32-bit or 32/64-bit float)`,
  );
}

function floatToInt16(x: number): number {
  if (Number.isNaN(x)) return 0;
  return Math.max(-32768, Math.min(32767, Math.round(x * 32767)));
}

/** Where a WAV's samples are and how they are encoded, read from its header without touching the samples. */
interface WavLayout {
  fmt: WavFormat;
  start: number;
  size: number;
  frameBytes: number;
  frames: number;
}

function readLayout(bytes: Uint8Array): WavLayout {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 12 || ascii(view, 0) !== "RIFF" || ascii(view, 8) !== "WAVE") {
    if (bytes.byteLength === 0) throw new AppError("unprocessable", "empty audio: the upload has no bytes");
    if (bytes.byteLength < 12 && String.fromCharCode(...bytes.subarray(0, 4)) === "RIFF") {
      throw new AppError("unprocessable", "truncated WAV: the RIFF header is incomplete");
    }
    throw new AppError("unsupported_media_type", "not a WAV file: expected a RIFF/WAVE header");
  }
  let fmt: WavFormat | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.byteLength) {
    const id = ascii(view, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") {
      if (body + Math.min(size, 16) > bytes.byteLength) throw new AppError("unprocessable", "truncated WAV: fmt chunk");
      fmt = readFormat(view, body, size);
    } else if (id === "data") {
      if (!fmt) throw new AppError("unprocessable", "not a valid WAV: data chunk before fmt chunk");
      const available = bytes.byteLength - body;
      if (!UNKNOWN_SIZES.has(size) && size > available) {
        throw new AppError("unprocessable", `truncated WAV: data chunk declares ${size} bytes, ${available} present`);
      }
      return layoutOf(fmt, body, UNKNOWN_SIZES.has(size) ? available : size);
    }
    // Chunks are word-aligned: odd sizes carry a pad byte.
    offset = body + size + (size & 1);
  }
  throw new AppError("unprocessable", fmt ? "truncated WAV: no data chunk" : "truncated WAV: no fmt chunk");
}

function layoutOf(fmt: WavFormat, start: number, size: number): WavLayout {
  if (fmt.channels < 1 || fmt.channels > 32 || fmt.sampleRate < 1000 || fmt.sampleRate > 384_000) {
    throw new AppError("unprocessable", `not a valid WAV: ${fmt.channels} channels at ${fmt.sampleRate} Hz`);
  }
  sampleReader(fmt); // refuses encodings it cannot read before anything is sized from the header
  const frameBytes = Math.max(fmt.blockAlign, (fmt.bitsPerSample / 8) * fmt.channels);
  // A trailing partial frame (cut upload) is dropped rather than refused.
  const frames = Math.floor(size / frameBytes);
  if (frames === 0) throw new AppError("unprocessable", "empty audio: the WAV has no samples");
  return { fmt, start, size, frameBytes, frames };
}

/**
 * The duration of a WAV in seconds, from its header alone (no sample is decoded), with the same errors as
 * `decodeWav`; the web process uses it to refuse an over-long question before any recognition starts.
 */
export function wavDurationS(bytes: Uint8Array): number {
  const { fmt, frames } = readLayout(bytes);
  return frames / fmt.sampleRate;
}

/**
 * Decodes a RIFF/WAVE file into mono 16-bit PCM. Integer PCM of 8/16/24/32 bits and float of 32/64 bits are
 * converted; several channels are averaged. Errors: `unsupported_media_type` for something that is not a WAV or
 * an encoding it cannot read, `unprocessable` for a truncated file or one without samples.
 */
export function decodeWav(bytes: Uint8Array): PcmAudio {
  const { fmt, start, frameBytes, frames } = readLayout(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = sampleReader(fmt);
  const bytesPerSample = fmt.bitsPerSample / 8;
  if (start + frames * frameBytes > bytes.byteLength || bytesPerSample * fmt.channels > frameBytes) {
    throw new AppError("unprocessable", "not a valid WAV: its frame size does not fit the data");
  }
  const samples = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    const base = start + i * frameBytes;
    let sum = 0;
    for (let c = 0; c < fmt.channels; c++) sum += read(view, base + c * bytesPerSample);
    samples[i] = Math.round(sum / fmt.channels);
  }
  return { sampleRate: fmt.sampleRate, samples };
}

/** Encodes mono 16-bit PCM as a canonical 44-byte-header WAV file. */
export function encodeWav(audio: PcmAudio): Uint8Array {
  const dataBytes = audio.samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const tag = (offset: number, text: string) => {
    for (let i = 0; i < 4; i++) view.setUint8(offset + i, text.charCodeAt(i));
  };
  tag(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  tag(8, "WAVE");
  tag(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, FORMAT_PCM, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, audio.sampleRate, true);
  view.setUint32(28, audio.sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  tag(36, "data");
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < audio.samples.length; i++) view.setInt16(44 + i * 2, audio.samples[i]!, true);
  return out;
}

/** Raw little-endian bytes of the samples, as a pipe to a decoder wants them. */
/** Pieces of PCM one after another, as one array. */
export function concatSamples(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function pcmBytes(samples: Int16Array): Uint8Array {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  // Int16Array is host-endian; every platform Node ships on is little-endian, but stay correct anyway.
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return bytes;
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i]!, true);
  return out;
}

export function durationMs(audio: PcmAudio): number {
  return (audio.samples.length * 1000) / audio.sampleRate;
}

/** Zero crossings of the windowed-sinc kernel on each side; 16 keeps aliasing below about -60 dB. */
const SINC_ZEROS = 16;

/**
 * Windowed-sinc (Blackman) sample-rate converter that can be fed in pieces, so a stream is resampled as it
 * arrives with the same result as resampling the whole buffer at once.
 */
export class Resampler {
  private readonly step: number;
  private readonly halfWidth: number;
  private readonly table: Float32Array;
  /** Input not yet consumed; `base` is the index of its first sample in the whole input. */
  private pending = new Float32Array(0);
  private base = 0;
  /** Output samples emitted so far; the next one sits at `produced * step` input samples. */
  private produced = 0;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    this.step = fromRate / toRate;
    // Low-pass at the lower Nyquist frequency, so downsampling does not fold high frequencies back.
    const cutoff = Math.min(1, toRate / fromRate);
    this.halfWidth = Math.ceil(SINC_ZEROS / cutoff);
    this.table = kernelTable(cutoff, this.halfWidth);
  }

  push(chunk: Int16Array): Int16Array {
    const joined = new Float32Array(this.pending.length + chunk.length);
    joined.set(this.pending);
    joined.set(chunk, this.pending.length);
    this.pending = joined;
    return this.drain(this.base + joined.length - this.halfWidth);
  }

  /** Emits what remains, treating the input after the end as silence. */
  flush(): Int16Array {
    const end = this.base + this.pending.length;
    const padded = new Float32Array(this.pending.length + this.halfWidth);
    padded.set(this.pending);
    this.pending = padded;
    return this.drain(end - 1e-9);
  }

  private drain(limit: number): Int16Array {
    const out: number[] = [];
    const { table, halfWidth, pending, base } = this;
    for (let at = this.produced * this.step; at <= limit; at = ++this.produced * this.step) {
      const center = at - base;
      const first = Math.max(0, Math.ceil(center - halfWidth));
      const last = Math.min(pending.length - 1, Math.floor(center + halfWidth));
      let acc = 0;
      for (let j = first; j <= last; j++) {
        const pos = Math.abs(j - center) * TABLE_RES;
        const k = Math.floor(pos);
        const frac = pos - k;
        acc += pending[j]! * (table[k]! + (table[k + 1]! - table[k]!) * frac);
      }
      out.push(Math.max(-32768, Math.min(32767, Math.round(acc))));
    }
    // Keep only the history the next outputs still reach back to.
    const keepFrom = Math.max(0, Math.floor(this.produced * this.step - base - halfWidth));
    this.pending = pending.subarray(keepFrom);
    this.base = base + keepFrom;
    return Int16Array.from(out);
  }
}

/** Table steps per input sample; linear interpolation between them is far below 16-bit resolution. */
const TABLE_RES = 256;

function kernelTable(cutoff: number, halfWidth: number): Float32Array {
  const table = new Float32Array(halfWidth * TABLE_RES + 2);
  for (let i = 0; i < table.length; i++) {
    const x = i / TABLE_RES;
    if (x >= halfWidth) break;
    const t = x * cutoff;
    const sinc = t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
    const w = 0.42 + 0.5 * Math.cos((Math.PI * x) / halfWidth) + 0.08 * Math.cos((2 * Math.PI * x) / halfWidth);
    table[i] = sinc * w * cutoff;
  }
  return table;
}

/** Converts to another sample rate (windowed sinc); returns the input itself when the rate already matches. */
export function resample(audio: PcmAudio, sampleRate: number): PcmAudio {
  if (audio.sampleRate === sampleRate) return audio;
  const r = new Resampler(audio.sampleRate, sampleRate);
  const head = r.push(audio.samples);
  const tail = r.flush();
  const samples = new Int16Array(head.length + tail.length);
  samples.set(head);
  samples.set(tail, head.length);
  return { sampleRate, samples };
}

/** Root-mean-square level of consecutive frames, in dBFS (full scale = 0 dB, digital silence = -100 dB). */
export function frameLevels(audio: PcmAudio, frameMs = 10): Float32Array {
  const frame = Math.max(1, Math.round((audio.sampleRate * frameMs) / 1000));
  const count = Math.floor(audio.samples.length / frame);
  const levels = new Float32Array(count);
  for (let f = 0; f < count; f++) {
    let sum = 0;
    for (let i = f * frame; i < (f + 1) * frame; i++) sum += audio.samples[i]! ** 2;
    const rms = Math.sqrt(sum / frame) / 32768;
    levels[f] = rms > 1e-5 ? 20 * Math.log10(rms) : -100;
  }
  return levels;
}

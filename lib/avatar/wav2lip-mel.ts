/**
 * Wav2Lip's audio front end (its `audio.py` + `hparams.py`), so a real Wav2Lip model sees the features it was
 * trained on: 16 kHz -> pre-emphasis -> |STFT| -> Slaney mel -> dB -> [-4, 4] -> one 80x16 window per video frame.
 */

export const MEL_SAMPLE_RATE = 16_000;
export const MEL_BANDS = 80;
/** Mel frames per window: 16 hops of 12.5 ms = 200 ms of audio from the frame's own time onward. */
export const MEL_STEP = 16;
/** Mel frames per second (16000 / hop 200). */
export const MEL_FPS = 80;

const N_FFT = 800;
const HOP = 200;
const BINS = N_FFT / 2 + 1;
const FMIN = 55;
const FMAX = 7600;
const PREEMPHASIS = 0.97;
const REF_LEVEL_DB = 20;
const MIN_LEVEL_DB = -100;
const MAX_ABS = 4;
/** 10^(min_level_db / 20): the amplitude floor before the dB conversion. */
const MIN_AMPLITUDE = 1e-5;

/** Mel spectrogram, band-major like numpy's `mel[band, frame]`: value at `band * frames + frame`. */
export interface MelSpectrogram {
  frames: number;
  data: Float32Array;
}

// --- Slaney mel scale (librosa's default, htk=False) ---

const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

function hzToMel(hz: number): number {
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : hz / F_SP;
}

function melToHz(mel: number): number {
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
}

/** The 82 edge frequencies of the 80 triangular filters (librosa `mel_frequencies(n_mels + 2)`). */
function melEdges(): number[] {
  const lo = hzToMel(FMIN);
  const hi = hzToMel(FMAX);
  return Array.from({ length: MEL_BANDS + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (MEL_BANDS + 1)));
}

/** Centre frequency (Hz) of each mel band, lowest first. */
export function melBandCentres(): number[] {
  return melEdges().slice(1, MEL_BANDS + 1);
}

interface MelFilter {
  start: number;
  weights: Float32Array;
}

/** librosa `filters.mel(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600)`, Slaney area-normalised, stored sparse. */
function buildMelFilters(): MelFilter[] {
  const edges = melEdges();
  const binHz = MEL_SAMPLE_RATE / N_FFT;
  return Array.from({ length: MEL_BANDS }, (_, band) => {
    const [left, centre, right] = [edges[band]!, edges[band + 1]!, edges[band + 2]!];
    const norm = 2 / (right - left);
    const start = Math.max(0, Math.ceil(left / binHz));
    const end = Math.min(BINS - 1, Math.floor(right / binHz));
    const weights = new Float32Array(Math.max(0, end - start + 1));
    for (let bin = start; bin <= end; bin++) {
      const hz = bin * binHz;
      const w = Math.min((hz - left) / (centre - left), (right - hz) / (right - centre));
      weights[bin - start] = Math.max(0, w) * norm;
    }
    return { start, weights };
  });
}

// --- Mixed-radix FFT for n = 800 = 2^5 * 5^2 (exact librosa bins, unlike zero padding to 1024) ---

const FACTORS = [5, 5, 2, 2, 2, 2, 2];
const TW_RE = Float64Array.from({ length: N_FFT }, (_, k) => Math.cos((-2 * Math.PI * k) / N_FFT));
const TW_IM = Float64Array.from({ length: N_FFT }, (_, k) => Math.sin((-2 * Math.PI * k) / N_FFT));
const SCRATCH_RE = FACTORS.map((p) => new Float64Array(p));
const SCRATCH_IM = FACTORS.map((p) => new Float64Array(p));

/** Recursive decimation in time: the input at `inOff + j * stride` (j < n) -> the spectrum at `outOff..outOff+n`. */
function fftStep(
  input: Float64Array,
  inOff: number,
  stride: number,
  outRe: Float64Array,
  outIm: Float64Array,
  outOff: number,
  n: number,
  level: number,
): void {
  if (n === 1) {
    outRe[outOff] = input[inOff]!;
    outIm[outOff] = 0;
    return;
  }
  const p = FACTORS[level]!;
  const m = n / p;
  for (let q = 0; q < p; q++)
    fftStep(input, inOff + q * stride, stride * p, outRe, outIm, outOff + q * m, m, level + 1);
  // X[k + s*m] = sum_q W_n^(q*(k + s*m)) * Y_q[k]; the p inputs and p outputs share the same slots.
  const twStep = N_FFT / n;
  const yRe = SCRATCH_RE[level]!;
  const yIm = SCRATCH_IM[level]!;
  for (let k = 0; k < m; k++) {
    for (let q = 0; q < p; q++) {
      yRe[q] = outRe[outOff + q * m + k]!;
      yIm[q] = outIm[outOff + q * m + k]!;
    }
    for (let s = 0; s < p; s++) {
      const idx = k + s * m;
      const step = idx * twStep;
      let re = yRe[0]!;
      let im = yIm[0]!;
      let t = 0;
      for (let q = 1; q < p; q++) {
        t = (t + step) % N_FFT;
        const wr = TW_RE[t]!;
        const wi = TW_IM[t]!;
        re += yRe[q]! * wr - yIm[q]! * wi;
        im += yRe[q]! * wi + yIm[q]! * wr;
      }
      outRe[outOff + idx] = re;
      outIm[outOff + idx] = im;
    }
  }
}

/** Magnitudes of bins 0..400 of the 800-point DFT of a real frame. */
function magnitudeSpectrum(frame: Float64Array, re: Float64Array, im: Float64Array, out: Float64Array): void {
  fftStep(frame, 0, 1, re, im, 0, N_FFT, 0);
  for (let k = 0; k < BINS; k++) out[k] = Math.hypot(re[k]!, im[k]!);
}

// --- Front end ---

let filters: MelFilter[] | undefined;
/** Periodic Hann (scipy `get_window("hann", 800)`, as librosa uses). */
const HANN = Float64Array.from({ length: N_FFT }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N_FFT));

/** numpy "reflect" padding index, bouncing again for signals shorter than the pad. */
function reflect(i: number, length: number): number {
  if (length === 1) return 0;
  let j = i;
  while (j < 0 || j >= length) j = j < 0 ? -j : 2 * (length - 1) - j;
  return j;
}

function normalise(amplitude: number): number {
  const db = 20 * Math.log10(Math.max(MIN_AMPLITUDE, amplitude)) - REF_LEVEL_DB;
  const scaled = 2 * MAX_ABS * ((db - MIN_LEVEL_DB) / -MIN_LEVEL_DB) - MAX_ABS;
  return Math.min(MAX_ABS, Math.max(-MAX_ABS, scaled));
}

/** The normalised value of silence: the floor of every window. */
export const MEL_SILENCE = normalise(0);

/**
 * Resamples 16-bit PCM to 16 kHz floats in [-1, 1] (a windowed-sinc low-pass, so 22.05 kHz TTS voices
 * do not alias above 8 kHz into the mel bands).
 */
export function toMelInput(samples: Int16Array, sampleRate: number): Float32Array {
  if (sampleRate === MEL_SAMPLE_RATE) return Float32Array.from(samples, (s) => s / 32768);
  const ratio = MEL_SAMPLE_RATE / sampleRate;
  const cutoff = Math.min(1, ratio);
  const halfTaps = 16;
  const reach = Math.ceil(halfTaps / cutoff);
  const out = new Float32Array(Math.floor(samples.length * ratio));
  for (let i = 0; i < out.length; i++) {
    const centre = i / ratio;
    const first = Math.max(0, Math.ceil(centre - reach));
    const last = Math.min(samples.length - 1, Math.floor(centre + reach));
    let acc = 0;
    for (let j = first; j <= last; j++) {
      const x = (j - centre) * cutoff;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const window = 0.5 + 0.5 * Math.cos((Math.PI * (j - centre)) / (reach + 1));
      acc += samples[j]! * sinc * window;
    }
    out[i] = (acc * cutoff) / 32768;
  }
  return out;
}

/** Wav2Lip `audio.melspectrogram` of 16 kHz audio in [-1, 1] (librosa stft: center=True, reflect padding). */
export function melSpectrogram(audio: Float32Array): MelSpectrogram {
  filters ??= buildMelFilters();
  const length = audio.length;
  const emphasised = new Float64Array(length);
  for (let i = 0; i < length; i++) emphasised[i] = audio[i]! - (i > 0 ? PREEMPHASIS * audio[i - 1]! : 0);

  const frames = length === 0 ? 0 : 1 + Math.floor(length / HOP);
  const data = new Float32Array(MEL_BANDS * frames);
  const frame = new Float64Array(N_FFT);
  const re = new Float64Array(N_FFT);
  const im = new Float64Array(N_FFT);
  const mag = new Float64Array(BINS);
  const pad = N_FFT / 2;
  for (let t = 0; t < frames; t++) {
    const origin = t * HOP - pad;
    for (let i = 0; i < N_FFT; i++) frame[i] = emphasised[reflect(origin + i, length)]! * HANN[i]!;
    magnitudeSpectrum(frame, re, im, mag);
    for (let band = 0; band < MEL_BANDS; band++) {
      const { start, weights } = filters[band]!;
      let sum = 0;
      for (let w = 0; w < weights.length; w++) sum += weights[w]! * mag[start + w]!;
      data[band * frames + t] = normalise(sum);
    }
  }
  return { frames, data };
}

/**
 * One 80x16 window per video frame, band-major (`[80, 16]`, as the model's `[1, 80, 16]` input), starting at
 * mel frame `int(80 * i / fps)`. Past the end of the audio the window is padded with silence, where Wav2Lip's
 * inference script repeats its last full window instead: each frame keeps its own time and the mouth closes.
 */
export function melWindows(mel: MelSpectrogram, frameCount: number, fps: number): Float32Array[] {
  return Array.from({ length: frameCount }, (_, i) => {
    const start = Math.floor((MEL_FPS * i) / fps);
    const window = new Float32Array(MEL_BANDS * MEL_STEP).fill(MEL_SILENCE);
    const available = Math.max(0, Math.min(MEL_STEP, mel.frames - start));
    for (let band = 0; band < MEL_BANDS; band++) {
      const row = band * mel.frames + start;
      window.set(mel.data.subarray(row, row + available), band * MEL_STEP);
    }
    return window;
  });
}

/** Number of video frames covering `samples` at `sampleRate` (the last partial frame included). */
export function frameCountFor(samples: number, sampleRate: number, fps: number): number {
  return Math.ceil((samples * fps) / sampleRate);
}

/** PCM at any rate -> the per-frame mel windows a Wav2Lip model takes. */
export function wav2lipMelWindows(
  audio: { sampleRate: number; samples: Int16Array },
  frameCount: number,
  fps: number,
): Float32Array[] {
  return melWindows(melSpectrogram(toMelInput(audio.samples, audio.sampleRate)), frameCount, fps);
}

import { describe, expect, it } from "vitest";
import {
  frameCountFor,
  MEL_BANDS,
  MEL_SILENCE,
  MEL_STEP,
  melBandCentres,
  melSpectrogram,
  toMelInput,
  wav2lipMelWindows,
} from "@/lib/avatar/wav2lip-mel";

function tone(hz: number, seconds: number, sampleRate = 16_000): Int16Array {
  return Int16Array.from({ length: seconds * sampleRate }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / sampleRate)),
  );
}

/** Mean value of each band over the spectrogram's middle frames (away from the padded edges). */
function bandMeans(samples: Int16Array, sampleRate = 16_000): number[] {
  const mel = melSpectrogram(toMelInput(samples, sampleRate));
  return Array.from({ length: MEL_BANDS }, (_, band) => {
    let sum = 0;
    for (let t = 10; t < mel.frames - 10; t++) sum += mel.data[band * mel.frames + t]!;
    return sum / (mel.frames - 20);
  });
}

function nearestBand(hz: number): number {
  const centres = melBandCentres();
  return centres.reduce((best, c, i) => (Math.abs(c - hz) < Math.abs(centres[best]! - hz) ? i : best), 0);
}

describe("Wav2Lip mel front end", () => {
  it("gives one 80x16 window per video frame: 25 for 1 s at 25 fps", () => {
    const windows = wav2lipMelWindows(
      { sampleRate: 16_000, samples: tone(440, 1) },
      frameCountFor(16_000, 16_000, 25),
      25,
    );
    expect(windows).toHaveLength(25);
    for (const w of windows) expect(w).toHaveLength(MEL_BANDS * MEL_STEP);
    expect(melSpectrogram(new Float32Array(16_000)).frames).toBe(81);
  });

  it("puts a pure tone in the mel band centred on it", () => {
    for (const hz of [300, 1000, 3000]) {
      const means = bandMeans(tone(hz, 1));
      const loudest = means.indexOf(Math.max(...means));
      expect(Math.abs(loudest - nearestBand(hz))).toBeLessThanOrEqual(1);
    }
  });

  it("finds the same band after resampling 22.05 kHz audio", () => {
    const means = bandMeans(tone(1000, 1, 22_050), 22_050);
    expect(Math.abs(means.indexOf(Math.max(...means)) - nearestBand(1000))).toBeLessThanOrEqual(1);
  });

  it("maps silence to the minimum, -4, and keeps every value in [-4, 4]", () => {
    expect(MEL_SILENCE).toBe(-4);
    const silent = wav2lipMelWindows({ sampleRate: 16_000, samples: new Int16Array(16_000) }, 25, 25);
    for (const w of silent) expect(w.every((v) => v === -4)).toBe(true);
    const loud = melSpectrogram(toMelInput(tone(1000, 1), 16_000));
    expect(loud.data.every((v) => v >= -4 && v <= 4)).toBe(true);
    expect(Math.max(...loud.data)).toBeGreaterThan(0);
  });

  it("pads windows past the end of the audio with silence", () => {
    const windows = wav2lipMelWindows({ sampleRate: 16_000, samples: tone(1000, 1) }, 25, 25);
    const last = windows[24]!;
    // Frame 24 starts at mel frame 76 of 81: columns 5..15 lie past the end.
    for (let band = 0; band < MEL_BANDS; band++) expect(last[band * MEL_STEP + 15]).toBe(-4);
    expect(Math.max(...last)).toBeGreaterThan(0);
  });
});

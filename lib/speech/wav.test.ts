import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { fixtureBytes } from "@/lib/speech/asr/fixtures";
import type { PcmAudio } from "@/lib/speech/types";
import { decodeWav, durationMs, encodeWav, frameLevels, Resampler, resample } from "@/lib/speech/wav";

function tone(freq: number, rate: number, ms: number, amplitude = 0.5): PcmAudio {
  const n = Math.round((rate * ms) / 1000);
  return {
    sampleRate: rate,
    samples: Int16Array.from({ length: n }, (_, i) =>
      Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * freq * i) / rate)),
    ),
  };
}

/** A WAV with an arbitrary format, written by hand the way other tools write them. */
function wavWith(opts: { format: number; bits: number; channels: number; rate: number; data: Uint8Array }): Uint8Array {
  const { format, bits, channels, rate, data } = opts;
  const out = new Uint8Array(44 + data.length);
  const v = new DataView(out.buffer);
  const tag = (o: number, t: string) => {
    for (let i = 0; i < 4; i++) v.setUint8(o + i, t.charCodeAt(i));
  };
  tag(0, "RIFF");
  v.setUint32(4, 36 + data.length, true);
  tag(8, "WAVE");
  tag(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, format, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, (rate * channels * bits) / 8, true);
  v.setUint16(32, (channels * bits) / 8, true);
  v.setUint16(34, bits, true);
  tag(36, "data");
  v.setUint32(40, data.length, true);
  out.set(data, 44);
  return out;
}

function expectAppError(fn: () => unknown, code: string, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(code);
    expect((err as AppError).message).toMatch(message);
    return;
  }
  throw new Error("expected an AppError");
}

describe("decodeWav", () => {
  it("reads a real 16 kHz mono recording", () => {
    const audio = decodeWav(fixtureBytes("cmusphinx_goforward.wav"));
    expect(audio.sampleRate).toBe(16_000);
    expect(durationMs(audio)).toBeCloseTo(2785, -1);
  });

  it("round-trips through encodeWav", () => {
    const audio = tone(440, 16_000, 100);
    expect(decodeWav(encodeWav(audio))).toEqual(audio);
  });

  it("converts 8/24/32-bit integer and 32-bit float stereo to mono int16", () => {
    const left = 0.5;
    const right = -0.25;
    const frames = 4;
    const expected = Math.round(((left + right) / 2) * 32767);
    const cases: { format: number; bits: number; write: (v: DataView, o: number, x: number) => void }[] = [
      { format: 1, bits: 8, write: (v, o, x) => v.setUint8(o, Math.round(x * 127) + 128) },
      {
        format: 1,
        bits: 24,
        write: (v, o, x) => {
          const n = Math.round(x * 8388607);
          v.setUint8(o, n & 0xff);
          v.setInt16(o + 1, n >> 8, true);
        },
      },
      { format: 1, bits: 32, write: (v, o, x) => v.setInt32(o, Math.round(x * 2147483647), true) },
      { format: 3, bits: 32, write: (v, o, x) => v.setFloat32(o, x, true) },
    ];
    for (const c of cases) {
      const bytes = c.bits / 8;
      const data = new Uint8Array(frames * 2 * bytes);
      const v = new DataView(data.buffer);
      for (let i = 0; i < frames; i++) {
        c.write(v, i * 2 * bytes, left);
        c.write(v, i * 2 * bytes + bytes, right);
      }
      const audio = decodeWav(wavWith({ format: c.format, bits: c.bits, channels: 2, rate: 48_000, data }));
      expect(audio.sampleRate).toBe(48_000);
      expect(audio.samples.length).toBe(frames);
      // 8-bit keeps only 8 bits of precision.
      for (const s of audio.samples) expect(Math.abs(s - expected)).toBeLessThan(c.bits === 8 ? 300 : 3);
    }
  });

  it("skips unknown chunks and accepts a streaming writer's unknown data size", () => {
    const pcm = encodeWav(tone(300, 16_000, 20));
    const list = new Uint8Array([..."LIST"].map((c) => c.charCodeAt(0)).concat([3, 0, 0, 0, 1, 2, 3, 0]));
    const withList = new Uint8Array([...pcm.subarray(0, 36), ...list, ...pcm.subarray(36)]);
    expect(decodeWav(withList).samples).toEqual(decodeWav(pcm).samples);
    const unknown = pcm.slice();
    new DataView(unknown.buffer).setUint32(40, 0xffffffff, true);
    expect(decodeWav(unknown).samples.length).toBe(320);
  });

  it("refuses what is not usable audio, with a clear message", () => {
    const good = encodeWav(tone(440, 16_000, 100));
    expectAppError(() => decodeWav(new Uint8Array()), "unprocessable", /empty audio/);
    expectAppError(
      () => decodeWav(new TextEncoder().encode("<html>hello</html>")),
      "unsupported_media_type",
      /not a WAV file/,
    );
    expectAppError(() => decodeWav(good.subarray(0, 8)), "unprocessable", /truncated WAV/);
    expectAppError(() => decodeWav(good.subarray(0, 30)), "unprocessable", /truncated WAV/);
    expectAppError(() => decodeWav(good.subarray(0, 40)), "unprocessable", /truncated WAV: no data chunk/);
    expectAppError(
      () => decodeWav(good.subarray(0, 1000)),
      "unprocessable",
      /truncated WAV: data chunk declares 3200 bytes/,
    );
    expectAppError(() => decodeWav(good.subarray(0, 44)), "unprocessable", /truncated WAV|empty audio/);
    const zeroData = good.slice(0, 44);
    new DataView(zeroData.buffer).setUint32(40, 0, true);
    expectAppError(() => decodeWav(zeroData), "unprocessable", /empty audio/);
    const alaw = wavWith({ format: 6, bits: 8, channels: 1, rate: 8000, data: new Uint8Array(16) });
    expectAppError(() => decodeWav(alaw), "unsupported_media_type", /unsupported encoding: 8-bit format tag 6/);
    const pcm12 = wavWith({ format: 1, bits: 12, channels: 1, rate: 8000, data: new Uint8Array(16) });
    expectAppError(() => decodeWav(pcm12), "unsupported_media_type", /unsupported encoding: 12-bit integer PCM/);
  });

  it("never throws anything but an AppError on random bytes", () => {
    const base = encodeWav(tone(440, 16_000, 50));
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 500; i++) {
      const bytes = base.slice(0, rand() % base.length);
      for (let k = 0; k < 4; k++) bytes[rand() % Math.max(1, bytes.length)] = rand() & 0xff;
      try {
        decodeWav(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
      }
    }
  });
});

describe("resample", () => {
  it("keeps a tone's frequency and level and the duration", () => {
    const src = tone(440, 44_100, 500);
    const out = resample(src, 16_000);
    expect(out.samples.length).toBe(8000);
    // Zero crossings count the frequency: 440 Hz over 0.5 s is 440 crossings.
    let crossings = 0;
    for (let i = 1; i < out.samples.length; i++) if (out.samples[i - 1]! < 0 !== out.samples[i]! < 0) crossings++;
    expect(Math.abs(crossings - 440)).toBeLessThanOrEqual(2);
    const mid = { sampleRate: 16_000, samples: out.samples.subarray(1000, 7000) };
    const level = Math.max(...frameLevels(mid, 20));
    expect(level).toBeCloseTo(20 * Math.log10(0.5 / Math.SQRT2), 0);
  });

  it("removes what lies above the new Nyquist frequency instead of folding it back", () => {
    // 7 kHz at 48 kHz would alias to 1 kHz at 8 kHz.
    const out = resample(tone(7000, 48_000, 300), 8000);
    const inner = { sampleRate: 8000, samples: out.samples.subarray(200, 2200) };
    expect(Math.max(...frameLevels(inner, 20))).toBeLessThan(-50);
  });

  it("gives the same result fed in pieces as all at once", () => {
    const src = decodeWav(fixtureBytes("cmusphinx_goforward.wav"));
    const whole = resample(src, 22_050);
    const r = new Resampler(16_000, 22_050);
    const parts: Int16Array[] = [];
    for (let i = 0; i < src.samples.length; i += 1234) parts.push(r.push(src.samples.subarray(i, i + 1234)));
    parts.push(r.flush());
    const joined = Int16Array.from(parts.flatMap((p) => Array.from(p)));
    expect(joined).toEqual(whole.samples);
  });

  it("returns the same audio when the rate already matches", () => {
    const a = tone(440, 16_000, 10);
    expect(resample(a, 16_000)).toBe(a);
  });
});

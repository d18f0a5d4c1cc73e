import { afterEach, describe, expect, it, vi } from "vitest";
import { RecordingSlots } from "@/lib/protection/recording-slots";
import type { AsrStream } from "@/lib/speech/types";
import { LiveSpeechRegistry } from "./live-speech";

/** A recogniser that only remembers what happened to it. */
function fakeListen() {
  const streams: { written: number; aborted: boolean }[] = [];
  const listen = (): AsrStream => {
    const s = { written: 0, aborted: false };
    streams.push(s);
    return {
      write: (pcm) => {
        s.written += pcm.length;
      },
      end: async () => ({ text: "", lang: "en" }) as never,
      abort: () => {
        s.aborted = true;
      },
    };
  };
  return { streams, listen };
}

const second = new Int16Array(16_000);

afterEach(() => {
  vi.useRealTimers();
});

describe("live recordings: fair shares and the longest question", () => {
  it("holds one of the address's recording slots per open recording; taking or cancelling frees it", async () => {
    const slots = new RecordingSlots({ perAddress: 2, store: null });
    const live = new LiveSpeechRegistry(fakeListen().listen, { slots, maxQuestionS: 60 });
    const a = await live.start("support", "s1", "198.51.100.1");
    const b = await live.start("support", "s2", "198.51.100.1");
    await expect(live.start("support", "s3", "198.51.100.1")).rejects.toMatchObject({
      code: "rate_limited",
      retryAfterS: 5,
    });
    await live.start("support", "s3", "198.51.100.2"); // another address still gets its share
    expect(live.take(a!.id, "support", "s1")).toBe(a);
    expect(slots.heldLocally("198.51.100.1")).toBe(1);
    live.cancel(b!.id);
    expect(slots.heldLocally("198.51.100.1")).toBe(0);
    live.cancel(b!.id); // twice: frees nothing more
    expect(slots.heldLocally("198.51.100.1")).toBe(0);
  });

  it("closes a recording past the longest question with a clear error, and frees its slot", async () => {
    const { streams, listen } = fakeListen();
    const slots = new RecordingSlots({ perAddress: 1, store: null });
    const live = new LiveSpeechRegistry(listen, { slots, maxQuestionS: 3 });
    const speech = (await live.start("support", "s", "a"))!;
    for (let seq = 0; seq < 3; seq++) live.append(speech.id, seq, second);
    expect(() => live.append(speech.id, 3, second)).toThrow(
      expect.objectContaining({ code: "payload_too_large", message: expect.stringContaining("longer than 3 s") }),
    );
    expect(streams[0]).toEqual({ written: 48_000, aborted: true });
    expect(slots.heldLocally("a")).toBe(0);
    expect(() => live.append(speech.id, 4, second)).toThrow(expect.objectContaining({ code: "not_found" }));
    expect(live.take(speech.id, "support", "s")).toBeUndefined(); // the turn recognises (and refuses) its WAV
  });

  it("counts audio after a missing chunk too: a broken recording cannot stream on past the limit", async () => {
    const live = new LiveSpeechRegistry(fakeListen().listen, {
      slots: new RecordingSlots({ perAddress: 1, store: null }),
      maxQuestionS: 2,
    });
    const speech = (await live.start("support", "s", "a"))!;
    live.append(speech.id, 0, second);
    live.append(speech.id, 5, second); // out of order: broken, recognised from the WAV
    expect(() => live.append(speech.id, 6, second)).toThrow(expect.objectContaining({ code: "payload_too_large" }));
  });

  it("expires a recording left idle, or one kept alive past its audio's length plus slack, freeing its slot", async () => {
    vi.useFakeTimers();
    const slots = new RecordingSlots({ perAddress: 2, store: null });
    const live = new LiveSpeechRegistry(fakeListen().listen, { slots, maxQuestionS: 10 });
    await live.start("support", "idle", "a");
    const trickle = (await live.start("support", "trickle", "a"))!;
    // One 100 ms chunk every 20 s: never idle for 30 s, but far longer than a 10 s question takes to say.
    for (let seq = 0; seq < 2; seq++) {
      vi.advanceTimersByTime(20_000);
      live.append(trickle.id, seq, new Int16Array(1_600));
    }
    expect(live.size).toBe(1); // the idle one went after 30 s
    vi.advanceTimersByTime(20_000); // 60 s old: past 10 s of audio + 30 s of slack
    expect(live.size).toBe(0);
    expect(slots.heldLocally("a")).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { fromWire, toWire } from "./wire";

describe("job wire format", () => {
  it("carries PCM and image bytes through JSON unchanged", () => {
    const samples = Int16Array.from([0, 1, -1, 32767, -32768, 1234]);
    const image = Uint8Array.from([255, 216, 255, 0, 7]);
    const back = fromWire<{ audio: { samples: Int16Array }; frames: { data: Uint8Array }[]; n: number }>(
      toWire({ audio: { samples }, frames: [{ data: image }], n: 3 }),
    );
    expect(back.audio.samples).toBeInstanceOf(Int16Array);
    expect([...back.audio.samples]).toEqual([...samples]);
    expect(back.frames[0]?.data).toBeInstanceOf(Uint8Array);
    expect([...(back.frames[0]?.data ?? [])]).toEqual([...image]);
    expect(back.n).toBe(3);
  });

  it("reads views into a larger buffer at their own offset", () => {
    const big = new Int16Array([9, 9, 5, 6, 9]);
    const view = big.subarray(2, 4);
    expect([...fromWire<Int16Array>(toWire(view))]).toEqual([5, 6]);
  });
});

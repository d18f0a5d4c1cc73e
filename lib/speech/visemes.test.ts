import { describe, expect, it } from "vitest";
import type { PhonemeTiming, Viseme } from "@/lib/speech/types";
import { arpabetViseme, ipaViseme, mouthTrack, pinyinVisemes, visemePose } from "@/lib/speech/visemes";

function track(spans: [Viseme, number][]): PhonemeTiming[] {
  let at = 0;
  return spans.map(([viseme, ms]) => {
    const p = { phoneme: viseme, viseme, startMs: at, endMs: at + ms };
    at += ms;
    return p;
  });
}

describe("phoneme -> viseme maps", () => {
  it("maps flite's ARPAbet", () => {
    expect(
      ["pau", "m", "f", "dh", "t", "k", "sh", "s", "n", "r", "aa", "eh", "iy", "ow", "uw"].map(arpabetViseme),
    ).toEqual(["sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou"]);
    expect(arpabetViseme("AH1")).toBe("aa");
  });

  it("maps espeak-ng's IPA events, ignoring stress, length and tone marks", () => {
    expect(
      ["h", "ə", "ˈoʊ", "ð", "ˈɛɹ", "dʒ", "ˈiː", "p", "s.", "ˈi.", "χ", "ˈɑu", "w", "ts", ""].map(ipaViseme),
    ).toEqual(["kk", "E", "oh", "TH", "E", "CH", "ih", "PP", "CH", "ih", "kk", "aa", "ou", "SS", "sil"]);
  });

  it("maps pinyin initials and finals", () => {
    expect(pinyinVisemes("zhong1")).toEqual(["CH", "oh", "nn", "kk"]);
    expect(pinyinVisemes("ma3")).toEqual(["PP", "aa"]);
    expect(pinyinVisemes("shi4")).toEqual(["CH", "E"]);
    expect(pinyinVisemes("lv4")).toEqual(["nn", "ou"]);
    expect(pinyinVisemes("ai4")).toEqual(["aa", "ih"]);
  });
});

describe("mouthTrack", () => {
  it("opens on vowels and closes in silence", () => {
    const frames = mouthTrack(
      track([
        ["sil", 400],
        ["aa", 400],
        ["sil", 400],
      ]),
      1200,
    );
    expect(frames).toHaveLength(30);
    expect(frames[3]!.open).toBeLessThan(0.02);
    expect(frames[14]!.open).toBeGreaterThan(0.8);
    expect(frames[27]!.open).toBeLessThan(0.05);
  });

  it("anticipates the vowel: the mouth starts opening before the vowel is heard", () => {
    const frames = mouthTrack(
      track([
        ["sil", 400],
        ["aa", 400],
      ]),
      800,
    );
    // Frame 9 ends at 400 ms, when the vowel begins.
    expect(frames[9]!.open).toBeGreaterThan(0.1);
  });

  it("closes the lips for a short bilabial between vowels", () => {
    const frames = mouthTrack(
      track([
        ["aa", 300],
        ["PP", 80],
        ["aa", 300],
      ]),
      680,
    );
    const middle = Math.floor(((300 + 40 - 30) * 25) / 1000);
    expect(frames[middle]!.open).toBeLessThan(0.35);
    expect(Math.min(...frames.slice(2, 5).map((f) => f.open))).toBeGreaterThan(0.7);
  });

  it("does not flicker on a short tongue consonant", () => {
    const frames = mouthTrack(
      track([
        ["aa", 300],
        ["DD", 50],
        ["aa", 300],
      ]),
      650,
    );
    const opens = frames.slice(5, 12).map((f) => f.open);
    expect(Math.min(...opens)).toBeGreaterThan(0.6);
  });

  it("rounds for oh/ou and widens for ih", () => {
    expect(visemePose("ou").round).toBeGreaterThan(visemePose("ih").round);
    expect(visemePose("ih").width).toBeGreaterThan(visemePose("ou").width);
    const frames = mouthTrack(track([["ou", 400]]), 400);
    expect(frames[5]!.round).toBeGreaterThan(0.8);
  });

  it("returns closed frames for no phonemes", () => {
    expect(mouthTrack([], 200).every((f) => f.open === 0)).toBe(true);
  });
});

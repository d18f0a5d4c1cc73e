import { describe, expect, it } from "vitest";
import { SentenceBuffer } from "./sentence-buffer";

describe("SentenceBuffer", () => {
  it("releases each sentence as soon as it is complete, citations included", () => {
    const b = new SentenceBuffer();
    expect(b.push("Rest and drink ")).toEqual([]);
    expect(b.push("water. [1] Call 999 if")).toEqual(["Rest and drink water. [1]"]);
    expect(b.push(" it spreads to your arm.")).toEqual([]);
    expect(b.push(" Then")).toEqual(["Call 999 if it spreads to your arm."]);
    expect(b.flush()).toEqual(["Then"]);
  });

  it("keeps a citation that arrives in the next delta on its sentence", () => {
    const b = new SentenceBuffer();
    expect(b.push("It locks after 5 tries.")).toEqual([]);
    expect(b.push(" ")).toEqual([]);
    expect(b.push("[1] Wait 15 minutes. [2]")).toEqual(["It locks after 5 tries. [1]"]);
    expect(b.push(" Then")).toEqual(["Wait 15 minutes. [2]"]);
    expect(b.flush()).toEqual(["Then"]);
  });

  it("keeps decimals whole and cuts Chinese without spaces", () => {
    const b = new SentenceBuffer();
    expect(b.push("A fever is 38.5 degrees or more. 请")).toEqual(["A fever is 38.5 degrees or more."]);
    expect(b.push("多喝水。[1]如果发烧超过三天，请就医")).toEqual(["请多喝水。[1]"]);
    expect(b.flush()).toEqual(["如果发烧超过三天，请就医"]);
  });
});

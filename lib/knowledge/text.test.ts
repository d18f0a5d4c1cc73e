import { describe, expect, it } from "vitest";
import { contentTerms, detectLang, editDistance, phoneticKey, spokenNumbersToDigits, stem } from "./text";

describe("text helpers", () => {
  it("gives misheard words the key of the word that was meant", () => {
    expect(phoneticKey("sins")).toBe(phoneticKey("signs"));
    expect(phoneticKey("hard")).toBe(phoneticKey("heart"));
    expect(phoneticKey("week")).toBe(phoneticKey("weak"));
    expect(phoneticKey("anaflaxis")).toBe(phoneticKey("anaphylaxis"));
    expect(phoneticKey("fever")).not.toBe(phoneticKey("stroke"));
  });

  it("stems plurals and verb forms to one term", () => {
    expect(stem("signs")).toBe(stem("sign"));
    expect(stem("resetting")).toBe(stem("reset"));
    expect(stem("allergies")).toBe(stem("allergy"));
    expect(stem("analysis")).toBe("analysis");
  });

  it("counts edits with transpositions and stops early", () => {
    expect(editDistance("pasword", "password")).toBe(1);
    expect(editDistance("recieve", "receive")).toBe(1);
    expect(editDistance("abc", "xyzxyz", 2)).toBe(3);
  });

  it("splits Chinese into bigrams and drops English stopwords", () => {
    expect(contentTerms("我发烧了")).toEqual(["我发", "发烧", "烧了"]);
    expect(contentTerms("What are the signs of a stroke?")).toEqual(["sign", "stroke"]);
    expect(detectLang("孩子发烧怎么办")).toBe("zh");
    expect(detectLang("my child has a fever")).toBe("en");
  });
});

describe("spokenNumbersToDigits", () => {
  it("reads codes and numbers the way people say them", () => {
    expect(spokenNumbersToDigits("error four twenty nine".split(" "))).toEqual(["error", "429"]);
    expect(spokenNumbersToDigits("call nine nine nine".split(" "))).toEqual(["call", "999"]);
    expect(spokenNumbersToDigits("four hundred and one".split(" "))).toEqual(["401"]);
    expect(spokenNumbersToDigits("the latest one".split(" "))).toEqual(["the", "latest", "one"]);
  });
});

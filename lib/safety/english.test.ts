import { describe, expect, it } from "vitest";
import { compileEnglishPhrase, EnglishDoc, soundKey, tokenizeEnglish } from "./english";

const find = (text: string, phrase: string) => {
  const doc = new EnglishDoc(text);
  return doc.find(compileEnglishPhrase(phrase)).map((s) => doc.describe(s));
};

describe("tokenizeEnglish", () => {
  it("keeps decimals, reads spoken numbers and restores apostrophes", () => {
    const words = (t: string) => tokenizeEnglish(t).map((x) => x.text);
    expect(words("temp 38.5, cant breathe")).toEqual(["temp", "38.5", "can't", "breathe"]);
    expect(words("thirty eight point two for four days")).toEqual(["38.2", "for", "4", "days"]);
    expect(words("she's fitting and can not stop")).toEqual(["she", "fitting", "and", "can't", "stop"]);
  });

  it("starts a new clause at punctuation", () => {
    const [a, b] = tokenizeEnglish("no pain, cough");
    expect(a?.clause).toBe(0);
    expect(tokenizeEnglish("no pain, cough")[2]?.clause).toBe(1);
    expect(b?.clause).toBe(0);
  });
});

describe("soundKey", () => {
  it("merges the consonants recognisers confuse", () => {
    expect(soundKey("breed")).toBe(soundKey("breathe"));
    expect(soundKey("seesher")).toBe(soundKey("seizure"));
    expect(soundKey("hard")).toBe(soundKey("heart"));
  });
});

describe("EnglishDoc.find", () => {
  it("skips filler words between the words of a phrase", () => {
    expect(find("his throat is closing up", "throat closing")).toEqual(["throat is closing"]);
  });

  it("joins words the recogniser split", () => {
    expect(find("an a flaxis", "anaphylaxis")).toEqual(["an a flaxis"]);
    expect(find("she used her epi pen", "epipen")).toEqual(["epi pen"]);
  });

  it("trusts a sound-alike only next to a surer word", () => {
    expect(find("i can't breed", "can't breathe")).toEqual(["can't breed"]);
    expect(find("the bread was stale", "breathe")).toEqual([]);
  });

  it("drops phrases a negation reaches, within the clause and until a new subject", () => {
    expect(find("no chest pain", "chest")).toEqual([]);
    expect(find("I'm not having trouble breathing", "trouble breathing")).toEqual([]);
    expect(find("no fever or vomiting or chest pain", "chest")).toEqual([]);
    expect(find("no fever, chest pain", "chest")).toEqual(["chest"]);
    expect(find("I don't feel well my chest hurts", "chest")).toEqual(["chest"]);
    expect(find("I'm not sure but his chest hurts", "chest")).toEqual(["chest"]);
  });

  it("lets a phrase carry its own negation", () => {
    expect(find("she's not breathing", "not breathing")).toEqual(["not breathing"]);
  });
});

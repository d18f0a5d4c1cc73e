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

describe("phrase guards and glued words", () => {
  it("skips a phrase right after a `!` word, or right before a trailing one", () => {
    expect(find("thoughts of ending my life", "!of|about ending my life")).toEqual([]);
    expect(find("I am ending my life", "!of|about ending my life")).toEqual(["ending my life"]);
    expect(find("fever for 3 months", "#1..12 months !old")).toEqual(["3 months"]);
    expect(find("my 3 months old", "#1..12 months !old")).toEqual([]);
  });

  it("refuses `|` lists that were meant to span several words", () => {
    expect(() => compileEnglishPhrase("what happens|happen|would happen if")).toThrow(
      /"happen" in two neighbouring slots/,
    );
  });

  it("glues split words back only when they are close to a long enough word", () => {
    expect(find("an a flaxis", "anaphylaxis")).toEqual(["an a flaxis"]);
    expect(find("and is a", "angina")).toEqual([]);
  });

  it("lets a negation reach through 'it' after a verb of opinion", () => {
    expect(find("I don't think it's a heart attack", "heart attack")).toEqual([]);
    expect(find("I don't know, it's a heart attack", "heart attack")).toEqual(["heart attack"]);
  });
});

import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSafetyRules, readSafetyRules } from "./load";
import { type CompiledRules, parseSafetyRules } from "./ruleset";
import { screen } from "./screen";

const messages = {
  emergency: { en: "Call {emergencyNumber} now.", zh: "请拨打{emergencyNumber}。" },
  urgent: { en: "See a doctor today.", zh: "请今天就医。" },
};

function rulesWith(rules: unknown[], concepts: Record<string, unknown> = {}) {
  return { version: 1, concepts: { en: concepts, zh: {} }, messages, rules };
}

const persona = { emergencyNumber: "000", organisation: "Test" };
const run = (rules: CompiledRules, text: string) => screen(text, { lang: "en", persona, rules });

describe("rules file validation", () => {
  it("names the file, the JSON path and the problem", () => {
    const bad = rulesWith([{ id: "x", category: "c", level: "critical", match: { en: ["a"] } }]);
    expect(() => parseSafetyRules(bad, "safety-rules.json")).toThrow(/safety-rules\.json is invalid: rules\.0\.level/);
  });

  it.each([
    [rulesWith([{ id: "x", category: "c", level: "urgent", match: { en: ["@nope"] } }]), /unknown concept "@nope"/],
    [
      rulesWith([{ id: "x", category: "c", level: "urgent", match: { en: ["@a"] } }], { a: ["@a"] }),
      /refers to itself/,
    ],
    [
      rulesWith([{ id: "x", category: "c", level: "urgent", match: { en: ["chest pain"] }, message: "gone" }]),
      /unknown message "gone"/,
    ],
    [
      rulesWith([{ id: "x", category: "c", level: "urgent", match: { en: ["* pain"] } }]),
      /may not start or end with \*/,
    ],
    [rulesWith([{ id: "x", category: "c", level: "urgent", match: { en: ["chest-pain"] } }]), /bad word "chest-pain"/],
    [rulesWith([{ id: "x", category: "c", level: "urgent", match: {} }]), /no patterns/],
    [
      rulesWith([{ id: "x", category: "c", level: "urgent", match: { en: [{ atLeast: 3, of: ["a", "b"] }] } }]),
      /atLeast 3 of only 2/,
    ],
    [
      rulesWith([
        { id: "x", category: "c", level: "urgent", match: { en: ["a"] } },
        { id: "x", category: "c", level: "urgent", match: { en: ["b"] } },
      ]),
      /duplicate rule id/,
    ],
    [
      {
        ...rulesWith([{ id: "x", category: "c", level: "urgent", match: { en: ["a"] } }]),
        messages: { urgent: messages.urgent },
      },
      /messages\.emergency is required/,
    ],
    [
      {
        ...rulesWith([{ id: "x", category: "c", level: "urgent", match: { en: ["a"] } }]),
        messages: { ...messages, urgent: { en: "Ring {hotline}", zh: "拨打" } },
      },
      /unknown placeholder \{hotline\}/,
    ],
  ])("rejects %#", (json, message) => {
    expect(() => parseSafetyRules(json, "f.json")).toThrow(message);
  });

  it("reports a broken file clearly and gives no screen for a persona without one", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "safety-"));
    const file = path.join(dir, "safety-rules.json");
    await writeFile(file, "{ not json");
    await expect(readSafetyRules(file)).rejects.toThrow(/safety-rules\.json is not valid JSON/);
    await expect(readSafetyRules(path.join(dir, "missing.json"))).resolves.toBeNull();
    await expect(loadSafetyRules("support")).resolves.toBeNull();
  });

  it("compiles the triage rules once and shares them", async () => {
    const first = await loadSafetyRules("triage");
    expect(first?.rules.length).toBeGreaterThan(20);
    expect(await loadSafetyRules("triage")).toBe(first);
    // Emergencies are tried before urgent rules whatever the file order.
    const levels = first!.rules.map((r) => r.level);
    expect(levels.indexOf("urgent")).toBeGreaterThan(levels.lastIndexOf("emergency"));
  });
});

describe("pattern expressions", () => {
  const rules = parseSafetyRules(
    rulesWith(
      [
        {
          id: "pair",
          category: "demo",
          level: "emergency",
          match: { en: [{ all: ["@limb", "numb|weak"], within: 4 }] },
          unless: { en: ["after * gym"] },
        },
        {
          id: "two-of",
          category: "demo",
          level: "urgent",
          match: { en: [{ atLeast: 2, of: ["fever", "rash", "neck"] }] },
        },
        { id: "number", category: "demo", level: "urgent", match: { en: ["temperature * #39..43"] } },
        { id: "exact", category: "demo", level: "urgent", match: { en: ["=burn"] } },
      ],
      { limb: ["arm|leg", "left side"] },
    ),
    "test",
  );

  it("needs every part of `all` inside the window", () => {
    expect(run(rules, "my arm is numb").ruleId).toBe("pair");
    expect(run(rules, "my left side feels weak").ruleId).toBe("pair");
    expect(run(rules, "my arm hurts a lot and the doctor says I am weak").level).toBe("none");
  });

  it("drops a match with an exclusion nearby", () => {
    expect(run(rules, "my arm is weak after the gym").level).toBe("none");
  });

  it("counts `atLeast` parts", () => {
    expect(run(rules, "fever and a rash").ruleId).toBe("two-of");
    expect(run(rules, "just a rash").level).toBe("none");
  });

  it("compares spoken and written numbers with a range", () => {
    expect(run(rules, "temperature of 39.4").ruleId).toBe("number");
    expect(run(rules, "temperature is thirty nine point five").ruleId).toBe("number");
    expect(run(rules, "temperature of 37.2").level).toBe("none");
  });

  it("matches `=word` by spelling only", () => {
    expect(run(rules, "a burn on my hand").ruleId).toBe("exact");
    expect(run(rules, "a burning feeling").level).toBe("none");
  });
});

describe("rules file validation (modifiers, questions, aliases)", () => {
  const rule = (extra: Record<string, unknown> = {}) => ({
    id: "x",
    category: "c",
    level: "urgent",
    match: { en: ["chest pain"] },
    ...extra,
  });
  const questions = { en: ["what are the signs of"], messages: { emergency: "emergency", urgent: "urgent" } };

  it.each([
    [rulesWith([rule({ raise: [{ level: "urgent", when: { en: ["jaw"] } }] })]), /raises to "urgent", not above/],
    [rulesWith([rule({ raise: [{ level: "emergency", when: {} }] })]), /raise\[0\]: no patterns in "when"/],
    [
      rulesWith([rule({ raise: [{ level: "emergency", when: { en: ["jaw"] }, message: "nope" }] })]),
      /unknown message "nope"/,
    ],
    [rulesWith([rule({ questionOnly: true })]), /questionOnly needs a "questions" section/],
    [{ ...rulesWith([rule({ questionOnly: true, askable: false })]), questions }, /questionOnly rules must be askable/],
    [
      { ...rulesWith([rule()]), questions: { ...questions, messages: { emergency: "gone", urgent: "urgent" } } },
      /questions\.messages\.emergency: unknown message "gone"/,
    ],
    [{ ...rulesWith([rule()]), questions: { ...questions, en: [] } }, /questions: no frames/],
    [{ ...rulesWith([rule()]), aliases: { en: { "a/b": "c" } } }, /aliases\.en\."a\/b"/],
    [rulesWith([rule({ match: { en: ["a lot of|lots of blood"] } })]), /"of" in two neighbouring slots/],
    [rulesWith([rule({ match: { en: ["chest !pain|ache now"] } })]), /"!" may only start or end phrase/],
    [rulesWith([rule({ match: { en: [], zh: ["胸!痛!口"] } })]), /"!" only as "!a\|b!" first or "!a\|b" last/],
  ])("rejects %#", (json, message) => {
    expect(() => parseSafetyRules(json, "f.json")).toThrow(message);
  });
});

describe("modifiers, questions and aliases", () => {
  const rules = parseSafetyRules(
    {
      version: 1,
      aliases: { en: { "chess pain": "chest pain", "a&e": "emergency department" }, zh: { 胸通: "胸痛" } },
      concepts: { en: { spreads: ["spreading|going to * jaw|arm"] }, zh: {} },
      questions: {
        en: [
          "what are the signs|symptoms of",
          { frame: "what is", within: 2 },
          { frame: "symptoms", within: 1, after: true },
        ],
        zh: ["有什么症状"],
        now: { en: ["right now"] },
        messages: { emergency: "asked-emergency", urgent: "asked-urgent" },
      },
      messages: {
        ...messages,
        "asked-emergency": {
          en: "If this is happening now, call {emergencyNumber}.",
          zh: "如果正在发生，请拨打{emergencyNumber}。",
        },
        "asked-urgent": { en: "If this is happening now, see a doctor today.", zh: "如果正在发生，请今天就医。" },
      },
      rules: [
        {
          id: "chest",
          category: "chest",
          level: "urgent",
          match: { en: ["chest pain"], zh: ["胸痛"] },
          raise: [{ level: "emergency", when: { en: ["@spreads"], zh: ["手臂"] }, within: { en: 8, zh: 10 } }],
        },
        { id: "suicide", category: "suicide", level: "emergency", askable: false, match: { en: ["kill myself"] } },
        { id: "sepsis-asked", category: "sepsis", level: "emergency", questionOnly: true, match: { en: ["sepsis"] } },
        { id: "months", category: "fever", level: "urgent", match: { en: ["fever * #1..12 month|months !old"] } },
        { id: "not-after", category: "x", level: "urgent", match: { en: ["!of|about ending my life"] } },
        { id: "zh-age", category: "fever", level: "urgent", match: { zh: ["!宝宝!发烧#1..12个月!大"] } },
        { id: "ed", category: "x", level: "urgent", match: { en: ["emergency department now"] } },
      ],
    },
    "test",
  );

  it("raises a rule to the modifier's level only when the modifier is near", () => {
    expect(run(rules, "I have chest pain")).toMatchObject({ ruleId: "chest", level: "urgent" });
    expect(run(rules, "chest pain spreading to my jaw")).toMatchObject({ ruleId: "chest", level: "emergency" });
    expect(run(rules, "I have chest pain and yesterday I hurt my arm lifting boxes in the garden shed").level).toBe(
      "urgent",
    );
    expect(screen("胸痛，痛到手臂", { lang: "zh", persona, rules }).level).toBe("emergency");
  });

  it("gives a question about a red flag the informational line, at the red flag's level", () => {
    expect(run(rules, "what are the symptoms of chest pain spreading to the jaw")).toMatchObject({
      level: "none",
      informational: true,
      about: "emergency",
      message: "If this is happening now, call 000.",
    });
    expect(run(rules, "what are the signs of chest pain")).toMatchObject({ informational: true, about: "urgent" });
    expect(screen("胸痛有什么症状", { lang: "zh", persona, rules })).toMatchObject({ informational: true });
  });

  it("keeps a red flag said as happening now, before a question or with 'right now', an alert", () => {
    expect(run(rules, "chest pain spreading to my arm, what are the signs of a heart attack")).toMatchObject({
      level: "emergency",
    });
    expect(run(rules, "what are the signs of chest pain spreading to my arm right now").level).toBe("emergency");
  });

  it("lets frames reach only as far as they say", () => {
    expect(run(rules, "what is chest pain")).toMatchObject({ informational: true });
    expect(run(rules, "what is it that makes my chest pain spread to my jaw").level).toBe("emergency");
    expect(run(rules, "chest pain symptoms")).toMatchObject({ informational: true });
    expect(run(rules, "I have chest pain symptoms").level).toBe("urgent");
  });

  it("never answers a non-askable red flag as a question", () => {
    expect(run(rules, "what are the signs of how to kill myself")).toMatchObject({
      ruleId: "suicide",
      level: "emergency",
    });
  });

  it("counts a questionOnly topic inside a question only", () => {
    expect(run(rules, "what are the signs of sepsis")).toMatchObject({ informational: true, about: "emergency" });
    expect(run(rules, "my aunt works in sepsis research").level).toBe("none");
  });

  it("reads `!` words before and after a phrase", () => {
    expect(run(rules, "fever for 2 months").ruleId).toBe("months");
    expect(run(rules, "fever 2 months old").level).toBe("none");
    expect(run(rules, "I am ending my life").ruleId).toBe("not-after");
    expect(run(rules, "thoughts of ending my life").level).toBe("none");
    expect(screen("发烧2个月了", { lang: "zh", persona, rules }).ruleId).toBe("zh-age");
    expect(screen("宝宝发烧2个月大", { lang: "zh", persona, rules }).level).toBe("none");
  });

  it("rewrites aliases before matching", () => {
    expect(run(rules, "I have chess pain").ruleId).toBe("chest");
    expect(run(rules, "take me to A&E now").ruleId).toBe("ed");
    expect(screen("我胸通", { lang: "zh", persona, rules }).ruleId).toBe("chest");
  });
});

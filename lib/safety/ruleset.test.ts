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

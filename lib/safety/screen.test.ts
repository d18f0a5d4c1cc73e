import { beforeAll, describe, expect, it } from "vitest";
import { loadPersona, type Persona } from "@/lib/persona/persona";
import { loadSafetyRules } from "./load";
import type { CompiledRules } from "./ruleset";
import { SafetyScreen, screen } from "./screen";

let persona: Persona;
let rules: CompiledRules;
let triage: SafetyScreen;

beforeAll(async () => {
  persona = await loadPersona("triage");
  const loaded = await loadSafetyRules("triage");
  if (!loaded) throw new Error("the triage persona has no safety-rules.json");
  rules = loaded;
  triage = new SafetyScreen(persona, rules);
});

const check = (text: string, lang: "en" | "zh" = "en") => triage.check(text, lang);

// Phrasings written for these tests, none of them in knowledge/triage/eval/safety.json: the rules are general
// red flags, so new wordings of the same emergencies must be caught and named.
const HELD_OUT_EMERGENCIES: Array<[string, string]> = [
  ["my husband has crushing chest pain and he's grey and clammy", "chest-pain"],
  ["pain in my chest spreading to my jaw", "chest-pain"],
  ["his smile is lopsided and he can't raise his left arm", "stroke"],
  ["my mother's speech is slurred and her face looks droopy on one side", "stroke"],
  ["my son was stabbed", "trauma"],
  ["there's blood pumping out of his leg", "bleeding"],
  ["my nose bleed won't stop and there's a lot of blood", "bleeding"],
  ["after eating prawns her lips and face swelled up and she's wheezing", "anaphylaxis"],
  ["he was stung by a bee and now he's struggling to breathe", "anaphylaxis"],
  ["I'm going to end my life tonight", "suicide"],
  ["my friend says she has pills saved up and wants to kill herself", "suicide"],
  ["I found him on the floor and he's unresponsive", "unconscious"],
  ["my dad isn't breathing", "unconscious"],
  ["my daughter has had her first ever seizure", "seizure"],
  ["he has been fitting for ten minutes", "seizure"],
  ["my toddler swallowed some dishwasher tablets", "poisoning"],
  ["I took a whole packet of paracetamol", "poisoning"],
  ["I'm 34 weeks pregnant and I've had a fit", "pregnancy"],
  ["my six week old baby is really floppy and won't feed", "infant-fever"],
  ["there's a purple rash on his legs and he has a fever", "meningitis"],
  ["my lips are turning blue and I'm gasping for air", "breathing"],
  ["my little girl is choking on a grape", "breathing"],
  ["he fell off a ladder, hit his head and has been sick twice", "head-injury"],
  ["she spilled boiling water and scalded her whole arm", "burns"],
  ["worst headache of my life came on suddenly", "headache"],
  ["i can't catch my breath and the blue puffer isn't doing anything", "breathing"],
];

const HELD_OUT_URGENT: string[] = [
  "my 3 week old has a temperature of 38.4",
  "I've been vomiting for three days and can't keep water down",
  "I burnt my hand on the oven and it's blistering",
  "I'm pregnant and have some spotting",
  "the baby hasn't been kicking much today, i'm 30 weeks",
  "I feel low and sometimes I think everyone would be better off without me",
  "i sliced my hand on a broken glass and it keeps bleeding",
  "rolled my ankle at football and can't walk on it",
];

const HELD_OUT_NONE: string[] = [
  "my mum had a heart attack in 2019, which ward is cardiology",
  "what are the signs of a stroke",
  "my back is killing me after gardening",
  "I need a sick note for work",
  "can I get a repeat prescription for my inhaler",
  "I have a sore throat and swollen glands",
  "my baby had a cough for a week",
  "I nearly collapsed at the gym yesterday",
  "I took all my tablets this morning as usual",
  "the rash fades when I press a glass on it",
  "Where can Blue Badge holders park?",
  "How long should I press on a cut to stop the bleeding?",
  "Below what blood sugar level is it a hypo?",
  "How long will I be kept in hospital after anaphylaxis?",
  "cut my finger chopping onions",
];

describe("held-out phrasings", () => {
  it.each(HELD_OUT_EMERGENCIES)("emergency: %s", (text, category) => {
    expect(check(text)).toMatchObject({ level: "emergency", category });
  });

  it.each(HELD_OUT_URGENT)("urgent: %s", (text) => {
    expect(check(text).level).toBe("urgent");
  });

  it.each(HELD_OUT_NONE)("no alarm: %s", (text) => {
    expect(check(text).level).toBe("none");
  });
});

describe("speech-recognition slips", () => {
  it.each([
    ["my dad had a massive hard attack", "heart-attack-named"],
    ["I think my wife is having a hart attack", "heart-attack-named"],
    ["I can't breed", "breathing-severe"],
    ["my arm is week and my face is drooping", "stroke-face"],
    ["I think I'm having an a flaxis", "anaphylaxis-named"],
    ["my grandson is having a sees her and he's been shaking for ages", "seizure-red-flags"],
    ["I took an over dose", "poisoning"],
    ["she took too many parra cetamol tablets", "poisoning"],
    ["cant breath and lips going blue", "breathing-severe"],
  ])("%s", (text, ruleId) => {
    expect(check(text)).toMatchObject({ level: "emergency", ruleId });
  });

  it("does not let sound-alikes of everyday words raise alarms", () => {
    expect(check("it's hard to find the cafe").level).toBe("none");
    expect(check("I'm sure the appointment is next week").level).toBe("none");
  });
});

describe("negation", () => {
  it.each([
    "I don't have any chest pain or shortness of breath",
    "there's no blood and he's breathing fine",
    "she's not unconscious, she's awake and talking",
    "I have never had a seizure, I want to ask about the epilepsy clinic",
    "I'm not going to kill myself, I just need someone to talk to",
    "he denies any chest pain",
    "no chest pain, no sweating, just a cold",
  ])("%s", (text) => {
    expect(check(text).level).toBe("none");
  });

  it("keeps negation inside its clause", () => {
    expect(check("no fever, but my chest hurts and I'm sweating").level).toBe("emergency");
    expect(check("I don't know what's wrong, my chest is crushing").level).toBe("emergency");
  });

  it("reads negative red flags as red flags", () => {
    expect(check("she's not breathing").level).toBe("emergency");
    expect(check("he won't wake up").level).toBe("emergency");
    expect(check("the bleeding won't stop").level).toBe("emergency");
    expect(check("the rash doesn't fade under a glass").level).toBe("emergency");
  });
});

describe("Chinese", () => {
  it.each([
    ["他胸口压得很紧，还出冷汗", "chest-pain"],
    ["我妈妈突然说不出话，一侧手臂没力", "stroke"],
    ["孩子喝了漂白水", "poisoning"],
    ["我想自杀，药都准备好了", "suicide"],
    ["他的伤口血流不止", "bleeding"],
    ["他被蜜蜂蛰了，嘴唇肿了，呼吸困难", "anaphylaxis"],
    ["我是不是中风了，半边脸麻了", "stroke"],
    ["他抽搐了十分钟还没停", "seizure"],
  ])("emergency: %s", (text, category) => {
    expect(check(text, "zh")).toMatchObject({ level: "emergency", category });
  });

  it("reads numerals written in characters", () => {
    expect(check("宝宝两个月大，发烧三十八度五", "zh").level).toBe("urgent");
    expect(check("我拉肚子一个星期了", "zh").level).toBe("urgent");
  });

  it.each(["我没有胸痛，也没有呼吸困难", "不是中风，只是想问康复科在哪里", "我爸爸去年中风过，想问康复科在几楼"])(
    "no alarm: %s",
    (text) => {
      expect(check(text, "zh").level).toBe("none");
    },
  );

  it("speaks the message in the turn's language, whichever language raised the flag", () => {
    expect(check("我胸口很痛，喘不过气", "zh").message).toMatch(/^这听起来是紧急情况/);
    expect(check("我胸口很痛，喘不过气", "en").message).toMatch(/^This sounds like an emergency/);
    expect(check("my chest hurts and I'm sweating", "zh").message).toContain("拨打999");
  });
});

describe("messages", () => {
  it("takes the emergency number from the persona", () => {
    const elsewhere = new SafetyScreen({ ...persona, emergencyNumber: "112" }, rules);
    const result = elsewhere.check("she's not breathing", "en");
    expect(result.message).toContain("Call 112 now");
    expect(result.message).not.toContain("999");
    expect(elsewhere.check("她没有呼吸了", "zh").message).toContain("拨打112");
  });

  it("falls back to the rules file's number when the persona has none", () => {
    const result = screen("I want to kill myself", {
      lang: "en",
      persona: { organisation: "Test Hospital" },
      rules,
    });
    expect(result).toMatchObject({ level: "emergency", category: "suicide" });
    expect(result.message).toContain("call 999 now");
  });

  it("refuses messages that need a number nobody set", () => {
    expect(() => new SafetyScreen({ organisation: "X" }, { ...rules, emergencyNumber: undefined })).toThrow(
      /emergencyNumber/,
    );
  });

  it("fills the organisation into urgent advice and reports what matched", () => {
    const result = check("my 2 month old has a fever");
    expect(result).toMatchObject({ level: "urgent", category: "infant-fever", ruleId: "infant-fever-under-3-months" });
    expect(result.matched).toContain("2 month old");
    const general = check("I've had diarrhoea for two weeks");
    expect(general.message).toContain("Riverside General Hospital");
  });

  // Speed is measured by `npm run eval:answers` (latency per call), not here: timed tests flake on a busy machine.
  it("finds the red flag in a long rambling transcript", () => {
    const text = "so um my dad he's been feeling unwell today and now he says his chest feels tight ".repeat(8);
    expect(check(text).level).not.toBe("none");
  });
});

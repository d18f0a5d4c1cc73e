import { describe, expect, it } from "vitest";
import { normaliseForSpeech, numberToChinese, numberToWords } from "@/lib/speech/normalise";

const en = (t: string) => normaliseForSpeech(t, "en");
const zh = (t: string) => normaliseForSpeech(t, "zh");

describe("normaliseForSpeech (English)", () => {
  it.each([
    [
      "Call the switchboard on 0161 555 0100 [2].",
      "Call the switchboard on zero one six one, five five five, zero one zero zero.",
    ],
    ["Opens at 08:30 and closes at 11:00 [1, 3].", "Opens at eight thirty and closes at eleven o'clock."],
    ["From 17:00 to 9:05pm.", "From seventeen hundred to nine oh five P M."],
    ["It costs £8, £8.50, $10 or £0.50.", "It costs eight pounds, eight pounds fifty, ten dollars or fifty pence."],
    ["A temperature of 38°C or 38.5°C.", "A temperature of thirty-eight degrees or thirty-eight point five degrees."],
    [
      "Take 5 mg, 1 mg, 12 GB, 3 km or 10 min.",
      "Take five milligrams, one milligram, twelve gigabytes, three kilometres or ten minutes.",
    ],
    ["About 12% or 2.5%.", "About twelve percent or two point five percent."],
    ["The 1st, 2nd, 3rd and 21st.", "The first, second, third and twenty-first."],
    [
      "See your GP, go to ED or A&E, e.g. at night, approx. 2 hours.",
      "See your G P, go to E D or A and E, for example at night, approximately two hours.",
    ],
    ["Call 999 in an emergency, or 111.", "Call nine nine nine in an emergency, or one one one."],
    ["We had 12,000 visits in 2023.", "We had twelve thousand visits in twenty twenty-three."],
    ["Wait 2-3 days.", "Wait two to three days."],
    [
      "Visit https://www.nhs.uk/conditions/ or email help@northwind.example.",
      "Visit nhs dot uk slash conditions or email help at northwind dot example.",
    ],
    [
      "**Bold** and [a link](https://x.org).\n# Heading\n- item one\n- item two",
      "Bold and a link. Heading. item one. item two.",
    ],
    ["Do NOT stop; OK?", "Do NOT stop; okay?"],
  ])("%s", (input, spoken) => {
    expect(en(input)).toBe(spoken);
  });

  it("spells numbers", () => {
    expect(numberToWords(105)).toBe("one hundred and five");
    expect(numberToWords(1_234_567)).toBe(
      "one million two hundred and thirty-four thousand five hundred and sixty-seven",
    );
    expect(numberToWords(2005)).toBe("two thousand and five");
  });
});

describe("normaliseForSpeech (Chinese)", () => {
  it.each([
    ["体温38度【1】。", "体温三十八度。"],
    ["体温38.5°C。", "体温三十八点五摄氏度。"],
    [
      "请致电总机 0161 555 0100，紧急情况请拨打 999。",
      "请致电总机 零幺六幺，五五五，零幺零零，紧急情况请拨打 九九九。",
    ],
    ["08:30开门，11:00关门。", "八点半开门，十一点关门。"],
    ["占12%，费用¥8。", "占百分之十二，费用八元。"],
    ["每天2次，每次5mg，第3天。", "每天两次，每次五毫克，第三天。"],
  ])("%s", (input, spoken) => {
    expect(zh(input)).toBe(spoken);
  });

  it("reads numbers the Chinese way", () => {
    expect([10, 12, 20, 101, 1000, 10001, 120000].map(numberToChinese)).toEqual([
      "十",
      "十二",
      "二十",
      "一百零一",
      "一千",
      "一万零一",
      "十二万",
    ]);
  });
});

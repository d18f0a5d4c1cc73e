import type { Lang } from "@/lib/persona/persona";

/*
 * Text as a speaker would say it. TTS front ends read "£8.50", "[2]" or "11:00" poorly or not at all, and a
 * citation read aloud ("left bracket two") is worse than none, so everything is spelt out here, before the engine.
 */

const ONES = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
];
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
const SCALES: [number, string][] = [
  [1e12, "trillion"],
  [1e9, "billion"],
  [1e6, "million"],
  [1e3, "thousand"],
];

function below1000(n: number): string {
  const parts: string[] = [];
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  if (hundreds) parts.push(`${ONES[hundreds]} hundred`);
  if (rest) {
    const words = rest < 20 ? ONES[rest]! : TENS[Math.floor(rest / 10)]! + (rest % 10 ? `-${ONES[rest % 10]}` : "");
    // British usage: "one hundred and five".
    parts.push(hundreds ? `and ${words}` : words);
  }
  return parts.join(" ");
}

/** Cardinal in words ("one thousand two hundred and five"); beyond 10^15 it reads the digits. */
export function numberToWords(n: number): string {
  if (!Number.isFinite(n) || !Number.isInteger(n) || Math.abs(n) >= 1e15) return digitsToWords(String(n));
  if (n < 0) return `minus ${numberToWords(-n)}`;
  if (n === 0) return "zero";
  const parts: string[] = [];
  let rest = n;
  for (const [value, name] of SCALES) {
    if (rest >= value) {
      parts.push(`${below1000(Math.floor(rest / value))} ${name}`);
      rest %= value;
    }
  }
  if (rest) parts.push(parts.length && rest < 100 ? `and ${below1000(rest)}` : below1000(rest));
  return parts.join(" ");
}

const ORDINAL_IRREGULAR: Record<string, string> = {
  one: "first",
  two: "second",
  three: "third",
  five: "fifth",
  eight: "eighth",
  nine: "ninth",
  twelve: "twelfth",
};

export function ordinalToWords(n: number): string {
  const words = numberToWords(n);
  return words.replace(/([a-z]+)$/, (last) => {
    if (ORDINAL_IRREGULAR[last]) return ORDINAL_IRREGULAR[last];
    if (last.endsWith("y")) return `${last.slice(0, -1)}ieth`;
    return `${last}th`;
  });
}

function digitsToWords(digits: string): string {
  return [...digits.replace(/\D/g, "")].map((d) => ONES[Number(d)]).join(" ");
}

/** "38.5" -> "thirty-eight point five"; "12,000" -> "twelve thousand". */
function decimalToWords(raw: string): string {
  const clean = raw.replace(/,/g, "");
  const negative = clean.startsWith("-");
  const [int = "0", frac] = clean.replace(/^-/, "").split(".");
  const words = `${numberToWords(Number(int))}${frac ? ` point ${digitsToWords(frac)}` : ""}`;
  return negative ? `minus ${words}` : words;
}

function isOne(raw: string): boolean {
  return Number(raw.replace(/,/g, "")) === 1;
}

/* ---------------------------------------------------------------- shared: citations and markdown */

function stripCitations(text: string): string {
  return (
    text
      // [2], [1, 3], [1-3], [^4]; 【1】, 【1，2】
      .replace(/\s*\[\^?\d+(?:\s*[,，\-–]\s*\d+)*\]/g, "")
      .replace(/\s*【\s*\d+(?:\s*[,，、\-–]\s*\d+)*\s*】/g, "")
  );
}

function stripMarkdown(text: string): string {
  return (
    text
      .replace(/```[\s\S]*?```/g, " ")
      .replace(/<[^>\n]+>/g, " ")
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
      .replace(/`([^`]*)`/g, "$1")
      .replace(/(\*\*|__)(.+?)\1/g, "$2")
      .replace(/(^|[\s(])[*_]([^*_\n]+)[*_](?=[\s).,!?;:]|$)/gm, "$1$2")
      .replace(/^\s{0,3}#{1,6}\s+/gm, "")
      .replace(/^\s{0,3}>\s?/gm, "")
      .replace(/^\s*(?:[-*_]\s*){3,}$/gm, "")
      .replace(/^\s*[-*+•]\s+/gm, "")
      .replace(/^\s*\d{1,2}[.)]\s+/gm, "")
      // Table rows: cells become a spoken list; separator rows vanish.
      .replace(/^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*$/gm, "")
      .replace(/^\s*\|(.*)\|\s*$/gm, (_, cells: string) => cells.split("|").join(", "))
  );
}

/** A line without closing punctuation (a heading, a bullet) still ends a sentence when spoken. */
function linesToSentences(text: string, stop: string): string {
  return text
    .split(/\n+/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => (/[.!?。！？；;:：,，]$/.test(l) ? l : `${l}${stop}`))
    .join(" ");
}

/* ---------------------------------------------------------------- English */

const UNITS: Record<string, [string, string]> = {
  mg: ["milligram", "milligrams"],
  mcg: ["microgram", "micrograms"],
  µg: ["microgram", "micrograms"],
  g: ["gram", "grams"],
  kg: ["kilogram", "kilograms"],
  ml: ["millilitre", "millilitres"],
  mL: ["millilitre", "millilitres"],
  l: ["litre", "litres"],
  L: ["litre", "litres"],
  mm: ["millimetre", "millimetres"],
  cm: ["centimetre", "centimetres"],
  km: ["kilometre", "kilometres"],
  mmHg: ["millimetre of mercury", "millimetres of mercury"],
  bpm: ["beat per minute", "beats per minute"],
  kcal: ["calorie", "calories"],
  IU: ["international unit", "international units"],
  KB: ["kilobyte", "kilobytes"],
  MB: ["megabyte", "megabytes"],
  GB: ["gigabyte", "gigabytes"],
  TB: ["terabyte", "terabytes"],
  Mbps: ["megabit per second", "megabits per second"],
  Gbps: ["gigabit per second", "gigabits per second"],
  MHz: ["megahertz", "megahertz"],
  GHz: ["gigahertz", "gigahertz"],
  ms: ["millisecond", "milliseconds"],
  s: ["second", "seconds"],
  sec: ["second", "seconds"],
  secs: ["second", "seconds"],
  min: ["minute", "minutes"],
  mins: ["minute", "minutes"],
  h: ["hour", "hours"],
  hr: ["hour", "hours"],
  hrs: ["hour", "hours"],
};
const UNIT_PATTERN = Object.keys(UNITS)
  .sort((a, b) => b.length - a.length)
  .join("|");

const CURRENCY: Record<string, [string, string, string, string]> = {
  "£": ["pound", "pounds", "penny", "pence"],
  $: ["dollar", "dollars", "cent", "cents"],
  "€": ["euro", "euros", "cent", "cents"],
  "¥": ["yuan", "yuan", "fen", "fen"],
};

const ABBREVIATIONS: [RegExp, string][] = [
  [/\be\.g\.(?=\s|,|$)/gi, "for example"],
  [/\bi\.e\.(?=\s|,|$)/gi, "that is"],
  [/\betc\./gi, "et cetera"],
  [/\bapprox\.?(?=\s)/gi, "approximately"],
  [/\bvs\.?(?=\s)/gi, "versus"],
  [/\bDr\.?(?=\s+[A-Z])/g, "Doctor"],
  [/\bMrs\.?(?=\s+[A-Z])/g, "Missus"],
  [/\bMr\.?(?=\s+[A-Z])/g, "Mister"],
  [/\bMs\.?(?=\s+[A-Z])/g, "Miz"],
  [/\bNo\.\s*(?=\d)/g, "number "],
  [/\bmins?\.(?=\s+[a-z])/g, "minutes"],
  [/\bhrs?\.(?=\s+[a-z])/g, "hours"],
  [/\bA&E\b/g, "A and E"],
  [/\bQ&A\b/g, "Q and A"],
  [/\bOK\b/g, "okay"],
  [/\b24\/7\b/g, "twenty-four seven"],
];

/** Acronyms said letter by letter even though they contain vowels (the rest are caught by having none). */
const SPELLED = new Set([
  "ED",
  "IT",
  "UK",
  "EU",
  "US",
  "USA",
  "AI",
  "IV",
  "ECG",
  "EEG",
  "MRI",
  "ICU",
  "OTC",
  "SSO",
  "API",
  "URL",
  "IP",
  "ID",
  "OS",
  "UI",
  "SMS",
  "FAQ",
  "CEO",
  "IBS",
  "UTI",
  "ENT",
  "OOH",
  "AE",
]);

/** A number as written: "12", "12,000", "38.5" (a trailing comma is punctuation, not part of it). */
const NUM = String.raw`\d+(?:,\d{3})*(?:\.\d+)?`;

const MONTHS =
  "January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec";
const EMERGENCY = "999|111|112|911|101|119";

function yearToWords(y: number): string {
  if (y >= 2000 && y < 2010) return numberToWords(y);
  const hi = Math.floor(y / 100);
  const lo = y % 100;
  if (lo === 0) return `${numberToWords(hi)} hundred`;
  return `${numberToWords(hi)} ${lo < 10 ? `oh ${ONES[lo]}` : numberToWords(lo)}`;
}

function timeToWords(h: number, m: number, suffix?: string): string {
  const meridiem = suffix ? ` ${suffix.replace(/\./g, "").toLowerCase() === "am" ? "A M" : "P M"}` : "";
  if (suffix) {
    const hour = numberToWords(h % 12 === 0 ? 12 : h % 12);
    return `${hour}${m === 0 ? "" : ` ${m < 10 ? `oh ${ONES[m]}` : numberToWords(m)}`}${meridiem}`;
  }
  if (h === 0 && m === 0) return "midnight";
  if (h === 12 && m === 0) return "twelve noon";
  // Clock times past noon are said as a nurse on a 24-hour rota says them: "fourteen hundred".
  if (m === 0) return h > 12 ? `${numberToWords(h)} hundred` : `${numberToWords(h)} o'clock`;
  const minutes = m < 10 ? `oh ${ONES[m]}` : numberToWords(m);
  return `${numberToWords(h === 0 ? 12 : h)} ${minutes}`;
}

function phoneToWords(raw: string): string {
  const groups = raw
    .replace(/[()]/g, " ")
    .split(/[\s\-.]+/)
    .filter(Boolean);
  return groups.map((g) => (g.startsWith("+") ? `plus ${digitsToWords(g)}` : digitsToWords(g))).join(", ");
}

function urlToWords(url: string): string {
  const bare = url
    .replace(/^[a-z]+:\/\//i, "")
    .replace(/^www\./i, "")
    .replace(/\/+$/, "");
  return bare
    .split(/([./\-_@:?=&#])/)
    .map((part) => {
      const spoken: Record<string, string> = {
        ".": " dot ",
        "/": " slash ",
        "-": " dash ",
        _: " underscore ",
        "@": " at ",
        ":": " colon ",
        "?": " question mark ",
        "=": " equals ",
        "&": " and ",
        "#": " hash ",
      };
      return spoken[part] ?? (/^\d+$/.test(part) ? digitsToWords(part) : part);
    })
    .join("")
    .replace(/\s+/g, " ")
    .trim();
}

function numberUnit(num: string, unit: string): string {
  const [one, many] = UNITS[unit]!;
  return `${decimalToWords(num)} ${isOne(num) ? one : many}`;
}

function money(symbol: string, amount: string, scale?: string): string {
  const [one, many, minorOne, minorMany] = CURRENCY[symbol]!;
  const clean = amount.replace(/,/g, "");
  if (scale)
    return `${decimalToWords(clean)} ${scale.toLowerCase().startsWith("b") ? "billion" : scale.toLowerCase().startsWith("k") ? "thousand" : "million"} ${many}`;
  const [int = "0", frac = ""] = clean.split(".");
  const major = Number(int);
  const minor = frac ? Number(frac.padEnd(2, "0").slice(0, 2)) : 0;
  if (major === 0 && minor > 0) return `${numberToWords(minor)} ${minor === 1 ? minorOne : minorMany}`;
  const main = `${numberToWords(major)} ${major === 1 ? one : many}`;
  return minor ? `${main} ${numberToWords(minor)}` : main;
}

function normaliseEnglish(text: string): string {
  let t = text;
  // URLs and e-mail addresses go first: their dots and digits must not be read as decimals or sentence ends.
  t = t.replace(/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, (m) => urlToWords(m));
  t = t.replace(/\b(?:https?:\/\/|www\.)[^\s<>()]+[^\s<>().,;:!?]/gi, (m) => urlToWords(m));
  for (const [re, spoken] of ABBREVIATIONS) t = t.replace(re, spoken);

  // Phone numbers: a leading 0 or + and at least seven digits in groups, read digit by digit.
  t = t.replace(/(?<![\w.])(?:\+\d{1,3}[\s-]?)?\(?0\d{2,4}\)?(?:[\s-]?\d{2,4}){2,3}(?![\w.]\d)/g, (m) =>
    m.replace(/\D/g, "").length >= 7 ? phoneToWords(m) : m,
  );
  t = t.replace(new RegExp(`\\b(call|dial|ring|phone|on|or|to)\\s+(${EMERGENCY})\\b`, "gi"), (_, w, n) => {
    return `${w} ${digitsToWords(n)}`;
  });

  // Times: "11:00", "08:30", "9:15pm", "9am".
  t = t.replace(/\b([01]?\d|2[0-3]):([0-5]\d)(?:\s*([ap]\.?m(?:\.(?=\s+[a-z]))?)(?![a-z]))?/gi, (_, h, m, s) =>
    timeToWords(Number(h), Number(m), s),
  );
  t = t.replace(/\b(1[0-2]|0?[1-9])\s*([ap]\.?m(?:\.(?=\s+[a-z]))?)(?![a-z])/gi, (_, h, s) =>
    timeToWords(Number(h), 0, s),
  );

  // Money: "£8", "£8.50", "$10", "£2m", "£3 million".
  t = t.replace(new RegExp(`([£$€¥])\\s?(${NUM})(?:\\s?(million|billion|bn|m|k)\\b)?`, "gi"), (_, sym, amount, scale) =>
    money(sym, amount, scale),
  );

  t = t.replace(
    new RegExp(`(-?${NUM})\\s?°\\s?([CF])\\b`, "g"),
    (_, n, scale) => `${decimalToWords(n)} ${isOne(n) ? "degree" : "degrees"}${scale === "F" ? " Fahrenheit" : ""}`,
  );
  t = t.replace(
    new RegExp(`(-?${NUM})\\s?°`, "g"),
    (_, n) => `${decimalToWords(n)} ${isOne(n) ? "degree" : "degrees"}`,
  );
  t = t.replace(new RegExp(`(${NUM})\\s?%`, "g"), (_, n) => `${decimalToWords(n)} percent`);
  t = t.replace(new RegExp(`(${NUM})\\s?(${UNIT_PATTERN})\\b(?!\\.\\d)`, "g"), (_, n, u) => numberUnit(n, u));

  t = t.replace(/\b(\d+)(st|nd|rd|th)\b/gi, (_, n) => ordinalToWords(Number(n)));
  t = t.replace(new RegExp(`\\b(${MONTHS})\\s+(\\d{4})\\b`, "g"), (_, m, y) => `${m} ${yearToWords(Number(y))}`);
  t = t.replace(
    new RegExp(
      `\\b(in|since|until|by|from|before|after)\\s+(1[1-9]\\d\\d|20\\d\\d)\\b(?!\\s*(?:%|°|(?:${UNIT_PATTERN})\\b))`,
      "gi",
    ),
    (_, w, y) => {
      return `${w} ${yearToWords(Number(y))}`;
    },
  );
  t = t
    .replace(/\b1\/2\b/g, "a half")
    .replace(/\b1\/4\b/g, "a quarter")
    .replace(/\b3\/4\b/g, "three quarters");
  t = t.replace(/(\d)\s?[-–—]\s?(?=\d)/g, "$1 to ");
  t = t.replace(new RegExp(`(^|[^\\w.])(-?${NUM})(?!\\d)`, "g"), (_, pre, n) => `${pre}${decimalToWords(n)}`);

  // Acronyms without a vowel (GP, NHS, CPR) and the known ones are spelt; flite says "ED" as "ed" otherwise.
  t = t.replace(/\b[A-Z]{2,5}s?\b/g, (w) => {
    const letters = w.endsWith("s") ? w.slice(0, -1) : w;
    if (!SPELLED.has(letters) && /[AEIOUY]/.test(letters)) return w;
    return [...letters].join(" ") + (w.endsWith("s") ? "'s" : "");
  });

  return t
    .replace(/&/g, " and ")
    .replace(/\s\+\s/g, " plus ")
    .replace(/\s=\s/g, " equals ")
    .replace(/~\s?/g, "about ")
    .replace(/\s<\s/g, " less than ")
    .replace(/\s>\s/g, " more than ")
    .replace(/(\w)\/(\w)/g, "$1 or $2")
    .replace(/[*_#|\\^]/g, " ");
}

/* ---------------------------------------------------------------- Chinese */

const ZH_DIGITS = "零一二三四五六七八九";
/** Phone and emergency numbers say 1 as 幺 so it is not mistaken for 7. */
const ZH_PHONE_DIGITS = "零幺二三四五六七八九";

function zhBelow10000(n: number): string {
  const units = ["", "十", "百", "千"];
  let out = "";
  let zero = false;
  for (let i = 3; i >= 0; i--) {
    const d = Math.floor(n / 10 ** i) % 10;
    if (d === 0) {
      if (out) zero = true;
      continue;
    }
    if (zero) out += "零";
    zero = false;
    out += ZH_DIGITS[d]! + units[i]!;
  }
  return out;
}

/** Chinese reading of an integer: 38 -> 三十八, 101 -> 一百零一, 10000 -> 一万. */
export function numberToChinese(n: number): string {
  if (!Number.isInteger(n) || Math.abs(n) >= 1e16) return [...String(n)].map((d) => ZH_DIGITS[Number(d)] ?? d).join("");
  if (n < 0) return `负${numberToChinese(-n)}`;
  if (n === 0) return "零";
  const groups: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 10000)) groups.push(rest % 10000);
  const names = ["", "万", "亿", "万亿"];
  let out = "";
  for (let i = groups.length - 1; i >= 0; i--) {
    const g = groups[i]!;
    if (g === 0) continue;
    if (out && g < 1000) out += "零";
    out += zhBelow10000(g) + names[i]!;
  }
  out = out.replace(/零+/g, "零").replace(/零$/, "");
  // 10-19 are said 十, 十一 ... rather than 一十.
  return out.startsWith("一十") ? out.slice(1) : out;
}

function zhDecimal(raw: string): string {
  const clean = raw.replace(/,/g, "");
  const negative = clean.startsWith("-");
  const [int = "0", frac] = clean.replace(/^-/, "").split(".");
  const words = numberToChinese(Number(int)) + (frac ? `点${[...frac].map((d) => ZH_DIGITS[Number(d)]).join("")}` : "");
  return negative ? `负${words}` : words;
}

const ZH_UNITS: Record<string, string> = {
  mg: "毫克",
  mcg: "微克",
  g: "克",
  kg: "公斤",
  ml: "毫升",
  mL: "毫升",
  L: "升",
  mm: "毫米",
  cm: "厘米",
  km: "公里",
  mmHg: "毫米汞柱",
  KB: "KB",
  MB: "兆",
  GB: "G",
  TB: "T",
  min: "分钟",
  h: "小时",
};
const ZH_UNIT_PATTERN = Object.keys(ZH_UNITS)
  .sort((a, b) => b.length - a.length)
  .join("|");
const ZH_CURRENCY: Record<string, string> = { "£": "英镑", $: "美元", "€": "欧元", "¥": "元", "￥": "元" };
/** Measure words after which 2 is said 两. */
const LIANG = "个次天周小时岁位片粒杯瓶种条层点";

function normaliseChinese(text: string): string {
  let t = text;
  t = t.replace(/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, (m) => urlToWords(m));
  t = t.replace(/\b(?:https?:\/\/|www\.)[^\s<>()，。]+[^\s<>().,;:!?，。]/gi, (m) => urlToWords(m));
  const phone = (m: string) =>
    m
      .replace(/[()]/g, " ")
      .split(/[\s-]+/)
      .filter(Boolean)
      .map((g) => [...g.replace(/\D/g, "")].map((d) => ZH_PHONE_DIGITS[Number(d)]).join(""))
      .join("，");
  t = t.replace(/(?<![\d.])(?:\+\d{1,3}[\s-]?)?\(?0\d{2,4}\)?(?:[\s-]?\d{2,4}){2,3}(?![\d.])/g, (m) =>
    m.replace(/\D/g, "").length >= 7 ? phone(m) : m,
  );
  t = t.replace(/(?<![\d.])1[3-9]\d{9}(?!\d)/g, phone);
  t = t.replace(new RegExp(`(?<![\\d.])(${EMERGENCY}|120|110|119)(?![\\d.])`, "g"), phone);
  t = t.replace(/(?<!\d)([01]?\d|2[0-3])[:：]([0-5]\d)(?!\d)/g, (_, h, m) => {
    const hour = Number(h) === 2 ? "两" : numberToChinese(Number(h));
    const min = Number(m);
    if (min === 0) return `${hour}点`;
    if (min === 30) return `${hour}点半`;
    return `${hour}点${min < 10 ? "零" : ""}${numberToChinese(min)}分`;
  });
  t = t.replace(/(\d{4})\s?年/g, (_, y: string) => `${[...y].map((d) => ZH_DIGITS[Number(d)]).join("")}年`);
  t = t.replace(new RegExp(`([£$€¥￥])\\s?(${NUM})`, "g"), (_, s, n) => `${zhDecimal(n)}${ZH_CURRENCY[s]}`);
  t = t.replace(new RegExp(`(${NUM})\\s?[%％]`, "g"), (_, n) => `百分之${zhDecimal(n)}`);
  t = t.replace(new RegExp(`(-?${NUM})\\s?°\\s?C\\b`, "g"), (_, n) => `${zhDecimal(n)}摄氏度`);
  t = t.replace(new RegExp(`(-?${NUM})\\s?°`, "g"), (_, n) => `${zhDecimal(n)}度`);
  t = t.replace(new RegExp(`(${NUM})\\s?(${ZH_UNIT_PATTERN})(?![A-Za-z])`, "g"), (_, n, u) => {
    return `${zhDecimal(n)}${ZH_UNITS[u]}`;
  });
  t = t.replace(/(\d)\s?[-–—~～]\s?(?=\d)/g, "$1到");
  t = t.replace(/第(\d+)/g, (_, n) => `第${numberToChinese(Number(n))}`);
  t = t.replace(new RegExp(`(?<![\\d.])2(?=[${LIANG}])`, "g"), "两");
  t = t.replace(new RegExp(`-?${NUM}`, "g"), (n) => zhDecimal(n));
  return t.replace(/&/g, "和").replace(/[*_#|\\^]/g, " ");
}

/* ---------------------------------------------------------------- public API */

/**
 * The text as it should be said: citations and markdown removed, numbers, times, money, units and abbreviations
 * spelt out in words (English) or in Chinese readings (Chinese).
 */
export function normaliseForSpeech(text: string, lang: Lang): string {
  const plain = linesToSentences(stripMarkdown(stripCitations(text)), lang === "zh" ? "。" : ".");
  const spoken = lang === "zh" ? normaliseChinese(plain) : normaliseEnglish(plain);
  return spoken
    .replace(/\s+([,.!?;:，。！？；：])/g, "$1")
    .replace(/([,.!?;:])\1+/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
}

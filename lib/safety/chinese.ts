import type { Span } from "./expressions";

/**
 * Chinese red-flag matching: patterns are substrings (Chinese has no spaces to tokenise on), with short gaps
 * and number ranges, over text whose numerals were turned into digits ("发烧三天" -> "发烧3天", "39度5" -> "39.5度").
 * A negation cue immediately before a match ("没有胸痛") cancels it.
 */

const CLAUSE_BREAK = /[，。！？；：,.!?;:\n]/;
/** `*` in a pattern: up to four characters of the same clause, never a negation character ("胸口不痛" is not "胸*痛"). */
const GAP = "[^，。！？；：,.!?;:\\n没不无未]{0,4}";
const NUMBER = "(\\d+(?:\\.\\d+)?)";
const NUMBER_RANGE = /#(\d+(?:\.\d+)?)?\.\.(\d+(?:\.\d+)?)?/y;

/**
 * A cue right before the match, optionally with a verb between: 没有胸痛, 没有感到胸闷, 不想死, 不是中风. The questions
 * 是不是 and 有没有 ("is it a stroke?") negate nothing.
 */
const NEGATED_BEFORE =
  /(?:(?<!有)没有|(?<!有)没|(?<!是)不|无|未|并非|否认|从未|从没)(?:有|什么|任何|感到|觉得|感觉|出现|发生|想过|想|打算|要|是)?$/;
/** The later items of a negated list: 没有胸痛或者气短. */
const NEGATED_LIST = /(?:没有|没|无|不|未)[^，。！？；：,.!?;:]{0,8}(?:或者|或|和|、|及|也)$/;

const DIGITS: Record<string, number> = { 零: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const UNIT = "(?:个)?(?:天|周|星期|礼拜|月|岁|度|分钟|小时|年|次|日|片|粒|颗|盒|瓶|板|袋|包|支)";

function chineseNumber(numeral: string): number {
  let total = 0;
  let current = 0;
  for (const ch of numeral) {
    if (ch === "百") {
      total += (current || 1) * 100;
      current = 0;
    } else if (ch === "十") {
      total += (current || 1) * 10;
      current = 0;
    } else current = DIGITS[ch] ?? 0;
  }
  return total + current;
}

export function normalizeChinese(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
      // "十几分钟" is more than ten minutes, "几十片" some tens of tablets: read each as its least value.
      .replace(/([二两三四五六七八九]?十)几/g, "$1一")
      .replace(/几十/g, "二十")
      // "三十多片" (thirty-odd tablets), "30多片": read as the number before 多.
      .replace(new RegExp(`([零一二两三四五六七八九十百\\d]+)多(?=${UNIT})`, "g"), "$1")
      // Only numerals followed by a unit: 一直 / 一下 / 一侧 are words, not numbers.
      .replace(new RegExp(`[零一二两三四五六七八九十百]+(?=${UNIT})`, "g"), (m) => String(chineseNumber(m)))
      .replace(/(\d+)(?:度|点)([零一二三四五六七八九])(?!\d)/g, (_, a: string, b: string) => `${a}.${DIGITS[b]}度`)
      .replace(/(\d+)度(\d)(?![\d.])/g, "$1.$2度")
      .replace(/(\d+)点(\d+)度/g, "$1.$2度")
  );
}

export interface ChinesePattern {
  source: string;
  re: RegExp;
  ranges: Array<[number, number]>;
}

/**
 * Pattern syntax: literal characters; `*` a short gap; `#lo..hi` a number in range (either end optional); a leading
 * `!a|b!` not right after "a" or "b"; a trailing `!a|b` not right before them ("#1..200个月!大|的": how long, not an
 * age). Literal text is normalised as transcripts are, so "第一次" matches the "第1次" a transcript becomes.
 */
export function compileChinesePattern(raw: string): ChinesePattern {
  let source = raw;
  let before = "";
  let after = "";
  const lead = /^!([^!*#]+)!/.exec(source);
  if (lead) {
    before = `(?<!${alternatives(lead[1]!)})`;
    source = source.slice(lead[0].length);
  }
  const trail = /!([^!*#]+)$/.exec(source);
  if (trail) {
    after = `(?!${alternatives(trail[1]!)})`;
    source = source.slice(0, trail.index);
  }
  if (!source || source.includes("!")) throw new Error(`pattern "${raw}": "!" only as "!a|b!" first or "!a|b" last`);
  source = source
    .split(/(#[\d.]*\.\.[\d.]*|\*)/)
    .map((part, k) => (k % 2 ? part : normalizeChinese(part)))
    .join("");
  let re = before;
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < source.length; ) {
    NUMBER_RANGE.lastIndex = i;
    const range = NUMBER_RANGE.exec(source);
    if (range) {
      re += NUMBER;
      ranges.push([Number(range[1] ?? -Infinity), Number(range[2] ?? Infinity)]);
      i = NUMBER_RANGE.lastIndex;
    } else {
      const ch = source[i]!;
      re += ch === "*" ? GAP : ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      i++;
    }
  }
  if (source.startsWith("*") || source.endsWith("*")) throw new Error(`pattern "${raw}" may not start or end with *`);
  return { source: raw, re: new RegExp(re + after, "g"), ranges };
}

function alternatives(list: string): string {
  return list
    .split("|")
    .map((a) => normalizeChinese(a).replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("|");
}

export class ChineseDoc {
  readonly text: string;
  private readonly memo = new Map<ChinesePattern, Span[]>();

  constructor(text: string) {
    this.text = normalizeChinese(text);
  }

  /** Character spans where the pattern occurs, negated occurrences left out; overlapping matches included. */
  find(p: ChinesePattern): Span[] {
    const hit = this.memo.get(p);
    if (hit) return hit;
    const spans: Span[] = [];
    p.re.lastIndex = 0;
    for (let m = p.re.exec(this.text); m; m = p.re.exec(this.text)) {
      const inRange = p.ranges.every(([lo, hi], k) => {
        const v = Number(m?.[k + 1]);
        return v >= lo && v <= hi;
      });
      if (inRange && !this.negated(m.index)) spans.push({ start: m.index, end: m.index + m[0].length });
      p.re.lastIndex = m.index + 1;
    }
    this.memo.set(p, spans);
    return spans;
  }

  describe(span: Span): string {
    return this.text.slice(span.start, span.end);
  }

  private clauses: Uint16Array | null = null;

  clauseOf(index: number): number {
    if (!this.clauses) {
      this.clauses = new Uint16Array(this.text.length + 1);
      let clause = 0;
      for (let i = 0; i < this.text.length; i++) {
        this.clauses[i] = clause;
        if (CLAUSE_BREAK.test(this.text[i]!)) clause++;
      }
      this.clauses[this.text.length] = clause;
    }
    return this.clauses[Math.min(Math.max(index, 0), this.text.length)]!;
  }

  private negated(start: number): boolean {
    let clauseStart = start;
    while (clauseStart > 0 && !CLAUSE_BREAK.test(this.text[clauseStart - 1]!)) clauseStart--;
    const before = this.text.slice(clauseStart, start);
    return NEGATED_BEFORE.test(before) || NEGATED_LIST.test(before);
  }
}

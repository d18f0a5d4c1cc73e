/**
 * Language helpers shared by the embedder, the query expander and the confidence score.
 * Deliberately small: a light stemmer and a phonetic key are enough to match lay words,
 * plurals and speech-recognition slips against the documents' vocabulary.
 */

const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
const CJK_RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;

export function hasCjk(text: string): boolean {
  return CJK.test(text);
}

/** "zh" when a meaningful share of the letters are Han characters. */
export function detectLang(text: string): "en" | "zh" {
  const han = text.match(CJK_RUN)?.join("").length ?? 0;
  const latin = text.match(/[a-z]/gi)?.length ?? 0;
  return han > 0 && han * 3 >= latin ? "zh" : "en";
}

export const STOPWORDS = new Set(
  (
    "a about above after again against all am an and any are aren't as at be because been before being below " +
    "between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each " +
    "few for from further get gets got had hadn't has hasn't have haven't having he her here hers herself him " +
    "himself his how i i'm i've if in into is isn't it it's its itself just let's me might more most much must my " +
    "myself no nor not now of off on once only or other ought our ours ourselves out over own please same shall " +
    "she should so some such than that that's the their theirs them themselves then there there's these they " +
    "this those through to too under until up us very was wasn't we we're were weren't what what's when where " +
    "which while who whom why will with won't would you your yours yourself yourselves im ive dont cant whats " +
    "hi hello thanks thank ok okay also really still tell know need want like one two yes"
  ).split(" "),
);

/**
 * Everyday words that say little about which document answers ("took", "today", "happen"). A document set rarely
 * uses them, so corpus IDF alone would rate them as highly distinctive; confidence weighs them down instead.
 */
export const WEAK_WORDS = new Set(
  (
    "able accident accidentally actually add again ago already always another anyone anything anyway around ask " +
    "asked away back bad be become before begin best better big bit body bring call came can't care case cause " +
    "change come coming could day days different does done during early else end enough even ever every " +
    "everything exactly fast feel feeling fine first find follow found friend gave give given go goes going gone " +
    "good great guy happen happened happens hard having help here high hour important issue issues just keep kind " +
    "know last late later least leave left less let life little live long look looking lot lots make makes many " +
    "matter maybe mean means meant mine minute mom month morning mother mum dad father son daughter wife husband " +
    "baby kid kids child move much name near need needs never new next nice night normal nothing number often old " +
    "once open part people person place point possible pretty probably problem problems put quick quickly quite " +
    "rather ready real really reason right said same saw say says see seem seems seen set several should show " +
    "since small someone something sometimes soon sort start started stay still stop stuff sure take taken takes " +
    "taking talk tell than thing things think thought through time times today told tomorrow took try trying turn " +
    "use used using usually want wanted way week weird well went whole wife work working worry wrong year years yesterday"
  ).split(" "),
);

/** Light suffix stripping (plurals, -ing, -ed, -ly), enough to make "signs"/"sign" and "reset"/"resetting" meet. */
export function stem(word: string): string {
  let w = word.toLowerCase().replace(/'s?$/, "");
  if (w.length <= 3 || hasCjk(w)) return w;
  if (w.endsWith("ies") && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith("sses")) w = w.slice(0, -2);
  else if (w.endsWith("s") && !w.endsWith("ss") && !w.endsWith("us") && !w.endsWith("is")) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith("ing")) w = undouble(w.slice(0, -3));
  else if (w.length > 4 && w.endsWith("ed")) w = undouble(w.slice(0, -2));
  else if (w.length > 5 && w.endsWith("ly")) w = w.slice(0, -2);
  return w;
}

function undouble(w: string): string {
  return /([bdgmnprt])\1$/.test(w) ? w.slice(0, -1) : w;
}

/** Lower-cased word tokens (Latin letters and digits); Han text is returned as whole runs. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:'[a-z]+)?|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g) ?? [];
}

/** Stemmed content words of a text, stopwords removed. Han runs become overlapping character bigrams. */
export function contentTerms(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    if (hasCjk(w)) out.push(...hanBigrams(w));
    else if (!STOPWORDS.has(w) && (w.length > 1 || /\d/.test(w))) out.push(stem(w));
  }
  return out;
}

export function hanBigrams(run: string): string[] {
  const chars = Array.from(run);
  if (chars.length === 1) return chars;
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  return out;
}

/**
 * A coarse phonetic key in the spirit of Metaphone: sound-alike spellings ("sins"/"signs",
 * "hard"/"heart", "anaflaxis"/"anaphylaxis", "week"/"weak") share a key. Voiced and unvoiced
 * pairs are merged because speech recognisers confuse them.
 */
export function phoneticKey(word: string): string {
  let w = word.toLowerCase().replace(/[^a-z]/g, "");
  if (!w) return "";
  w = w
    .replace(/^(kn|gn|pn|wr|ps)/, (m) => m[1] ?? "")
    .replace(/mb$/, "m")
    .replace(/ph/g, "f")
    .replace(/gh(?=[^aeiou]|$)/g, "")
    .replace(/gn/g, "n")
    .replace(/tch/g, "x")
    .replace(/ch|sh/g, "x")
    .replace(/th/g, "0")
    .replace(/ck/g, "k")
    .replace(/qu/g, "kw")
    .replace(/c(?=[eiy])/g, "s")
    .replace(/[cq]/g, "k")
    .replace(/x(?![aeiou])|x$/g, "ks")
    .replace(/dg/g, "j")
    .replace(/[z]/g, "s")
    .replace(/[v]/g, "f")
    .replace(/[b]/g, "p")
    .replace(/[d]/g, "t")
    .replace(/[g]/g, "k")
    .replace(/y/g, "i");
  const first = /[aeiou]/.test(w[0] ?? "") ? "a" : (w[0] ?? "");
  const rest = w.slice(1).replace(/[aeiouhw]/g, "");
  return (first + rest).replace(/(.)\1+/g, "$1");
}

/** Damerau-Levenshtein distance with an early exit once `max` is exceeded. */
export function editDistance(a: string, b: string, max = 2): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
    for (let j = 0; j <= b.length; j++) prev2[j] = prev[j]!;
    prev = cur;
  }
  return prev[b.length]!;
}

const UNITS =
  "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split(
    " ",
  );
const TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split(" ");

/**
 * Number words to digits, read the way people say codes and numbers: "four twenty nine" -> "429",
 * "nine nine nine" -> "999", "four hundred and one" -> "401". A lone "one" stays a word.
 */
export function spokenNumbersToDigits(tokens: string[]): string[] {
  const isNum = (t: string | undefined) =>
    !!t && (UNITS.includes(t) || TENS.includes(t) || t === "hundred" || t === "thousand");
  const out: string[] = [];
  for (let i = 0; i < tokens.length; ) {
    if (!isNum(tokens[i])) {
      out.push(tokens[i]!);
      i++;
      continue;
    }
    let j = i;
    const run: string[] = [];
    while (j < tokens.length && (isNum(tokens[j]) || (tokens[j] === "and" && isNum(tokens[j + 1]) && run.length > 0))) {
      if (tokens[j] !== "and") run.push(tokens[j]!);
      j++;
    }
    if (run.length === 1 && run[0] === "one") out.push("one");
    else out.push(numberRunToDigits(run));
    i = j;
  }
  return out;
}

function numberRunToDigits(run: string[]): string {
  if (run.includes("hundred") || run.includes("thousand")) {
    let total = 0;
    let current = 0;
    for (const w of run) {
      if (w === "hundred") current = (current || 1) * 100;
      else if (w === "thousand") {
        total += (current || 1) * 1000;
        current = 0;
      } else current += UNITS.includes(w) ? UNITS.indexOf(w) : TENS.indexOf(w) * 10;
    }
    return String(total + current);
  }
  // Without scale words, each unit or tens(+unit) group is read as its own digits.
  let digits = "";
  for (let i = 0; i < run.length; i++) {
    const w = run[i]!;
    if (TENS.includes(w)) {
      const next = run[i + 1];
      const unit = next && UNITS.indexOf(next) > 0 && UNITS.indexOf(next) < 10 ? UNITS.indexOf(next) : 0;
      digits += String(TENS.indexOf(w) * 10 + unit);
      if (unit) i++;
    } else digits += String(UNITS.indexOf(w));
  }
  return digits;
}

import type { MouthPose, PhonemeTiming, Viseme } from "@/lib/speech/types";

/** ARPAbet as flite prints it (lower case, no stress digits; `pau` is silence). */
const ARPABET: Record<string, Viseme> = {
  pau: "sil",
  p: "PP",
  b: "PP",
  m: "PP",
  f: "FF",
  v: "FF",
  th: "TH",
  dh: "TH",
  t: "DD",
  d: "DD",
  dx: "DD",
  k: "kk",
  g: "kk",
  ng: "kk",
  hh: "kk",
  ch: "CH",
  jh: "CH",
  sh: "CH",
  zh: "CH",
  s: "SS",
  z: "SS",
  n: "nn",
  l: "nn",
  r: "RR",
  er: "RR",
  axr: "RR",
  y: "ih",
  w: "ou",
  aa: "aa",
  ae: "aa",
  ah: "aa",
  aw: "aa",
  ay: "aa",
  ax: "E",
  eh: "E",
  ey: "E",
  ih: "ih",
  iy: "ih",
  ao: "oh",
  ow: "oh",
  oy: "oh",
  uh: "ou",
  uw: "ou",
};

export function arpabetViseme(phone: string): Viseme {
  return ARPABET[phone.toLowerCase().replace(/\d/g, "")] ?? "sil";
}

/**
 * espeak-ng's phoneme events carry IPA (with stress, length and tone marks, and espeak's own "s." for retroflex).
 * The first segment symbol decides the viseme; diphthongs take their first, most visible, part.
 */
const IPA_CONSONANTS: [RegExp, Viseme][] = [
  [/^[pbmɱɓ]/, "PP"],
  [/^[fvʋ]/, "FF"],
  [/^[θð]/, "TH"],
  [/^(?:s\.|z\.|ʂ|ʐ|tʂ|dʐ|tɕ|dʑ|ɕ|ʑ|tʃ|dʒ|ʃ|ʒ|c|ɟ)/, "CH"],
  [/^(?:ts|dz|s|z)/, "SS"],
  [/^[tdɾɗʈɖ]/, "DD"],
  [/^[nɲɳlɫɭʎ]/, "nn"],
  [/^[ŋkgɡqɢxɣχʁhɦʔ]/, "kk"],
  [/^[ɹrɻɐ˞ɚɝ]/, "RR"],
  [/^[jʝ]/, "ih"],
  [/^[wʍɥ]/, "ou"],
];
const IPA_VOWELS: [RegExp, Viseme][] = [
  [/^[aɑɒæʌ]/, "aa"],
  [/^[eɛəɜᵻ]/, "E"],
  [/^[iɪyʏɨ]/, "ih"],
  [/^[oɔøœɤ]/, "oh"],
  [/^[uʊɯ]/, "ou"],
];

export function ipaViseme(phoneme: string): Viseme {
  const p = phoneme.replace(/[ˈˌːˑ\d_'",\-|‖]/g, "").toLowerCase();
  if (!p) return "sil";
  for (const [re, v] of IPA_CONSONANTS) if (re.test(p)) return v;
  for (const [re, v] of IPA_VOWELS) if (re.test(p)) return v;
  return "sil";
}

const PINYIN_INITIALS: [string, Viseme][] = [
  ["zh", "CH"],
  ["ch", "CH"],
  ["sh", "CH"],
  ["b", "PP"],
  ["p", "PP"],
  ["m", "PP"],
  ["f", "FF"],
  ["d", "DD"],
  ["t", "DD"],
  ["n", "nn"],
  ["l", "nn"],
  ["g", "kk"],
  ["k", "kk"],
  ["h", "kk"],
  ["j", "CH"],
  ["q", "CH"],
  ["x", "CH"],
  ["r", "RR"],
  ["z", "SS"],
  ["c", "SS"],
  ["s", "SS"],
  ["y", "ih"],
  ["w", "ou"],
];

const FINAL_LETTERS: Record<string, Viseme> = {
  a: "aa",
  e: "E",
  i: "ih",
  o: "oh",
  u: "ou",
  v: "ou",
  ü: "ou",
  n: "nn",
  g: "kk",
  r: "RR",
};

function finalVisemes(final: string, afterSibilant: boolean): Viseme[] {
  // The "i" of zi/ci/si/zhi/chi/shi/ri is a buzzed continuation of the consonant, not an [i].
  if (final === "i" && afterSibilant) return ["E"];
  const out: Viseme[] = [];
  for (const ch of final) {
    const v = FINAL_LETTERS[ch];
    if (v && v !== out.at(-1)) out.push(v);
  }
  return out;
}

/**
 * Visemes of one pinyin syllable, initial then final ("zhong1" -> CH, oh, nn, kk): what the mouth does for a
 * Mandarin syllable whatever alphabet an engine reports its phonemes in.
 */
export function pinyinVisemes(syllable: string): Viseme[] {
  const s = syllable.toLowerCase().replace(/[\d:]/g, "");
  const initial = PINYIN_INITIALS.find(([i]) => s.startsWith(i) && s.length > i.length);
  if (!initial) return finalVisemes(s, false);
  const [text, viseme] = initial;
  return [viseme, ...finalVisemes(s.slice(text.length), /^(?:z|c|s|zh|ch|sh|r)$/.test(text))];
}

const POSES: Record<Viseme, MouthPose> = {
  sil: { open: 0, width: 0.45, round: 0.1 },
  PP: { open: 0, width: 0.45, round: 0.15 },
  FF: { open: 0.1, width: 0.5, round: 0.05 },
  TH: { open: 0.2, width: 0.5, round: 0.05 },
  DD: { open: 0.25, width: 0.5, round: 0.1 },
  kk: { open: 0.3, width: 0.5, round: 0.1 },
  CH: { open: 0.2, width: 0.35, round: 0.6 },
  SS: { open: 0.15, width: 0.65, round: 0 },
  nn: { open: 0.2, width: 0.5, round: 0.1 },
  RR: { open: 0.25, width: 0.35, round: 0.5 },
  aa: { open: 0.9, width: 0.55, round: 0.1 },
  E: { open: 0.55, width: 0.7, round: 0.05 },
  ih: { open: 0.4, width: 0.8, round: 0 },
  oh: { open: 0.65, width: 0.3, round: 0.8 },
  ou: { open: 0.35, width: 0.2, round: 1 },
};

export function visemePose(viseme: Viseme): MouthPose {
  return { ...POSES[viseme] };
}

/**
 * How strongly a viseme pulls the blended pose toward itself. Lip closures and lip-teeth contacts must be seen
 * even when short (a [m] that never closes reads as wrong), so they dominate their neighbours; tongue consonants
 * are nearly invisible and let the surrounding vowels show through (coarticulation).
 */
const WEIGHT: Record<Viseme, number> = {
  sil: 1,
  PP: 4,
  FF: 3,
  TH: 1,
  DD: 0.5,
  kk: 0.5,
  CH: 1.5,
  SS: 1,
  nn: 0.5,
  RR: 1,
  aa: 1.5,
  E: 1.5,
  ih: 1.5,
  oh: 1.5,
  ou: 1.5,
};

/** The lips move before the sound they shape is heard. */
const LEAD_MS = 30;
/** Half-width of the triangular window each frame blends over. */
const WINDOW_MS = 40;
const WINDOW_STEPS = 8;
/** Per-frame smoothing at 25 fps: opening is quick (attack), closing a little slower (release). */
const ATTACK = 0.75;
const RELEASE = 0.55;
const SHAPE = 0.6;

function visemeAt(phonemes: PhonemeTiming[], t: number, hint: { i: number }): Viseme {
  // Frames advance in time, so the search resumes where the last one stopped.
  if (phonemes.length === 0) return "sil";
  hint.i = Math.min(hint.i, phonemes.length - 1);
  while (hint.i > 0 && phonemes[hint.i]!.startMs > t) hint.i--;
  while (hint.i < phonemes.length && phonemes[hint.i]!.endMs <= t) hint.i++;
  const p = phonemes[hint.i];
  return p && p.startMs <= t ? p.viseme : "sil";
}

/**
 * One mouth pose per video frame. Each frame blends the visemes in a window around a point slightly ahead of
 * the audio (so the mouth anticipates the next vowel), weighted so closures win and tongue consonants do not
 * flicker, then an attack/release filter removes the remaining jitter. Silence closes the mouth.
 */
export function mouthTrack(phonemes: PhonemeTiming[], durationMs: number, fps = 25): MouthPose[] {
  const frames = Math.max(0, Math.ceil((durationMs * fps) / 1000));
  const frameMs = 1000 / fps;
  const hint = { i: 0 };
  const out: MouthPose[] = [];
  let prev = visemePose("sil");
  for (let f = 0; f < frames; f++) {
    const centre = (f + 0.5) * frameMs + LEAD_MS;
    const target = { open: 0, width: 0, round: 0 };
    let total = 0;
    for (let k = -WINDOW_STEPS; k <= WINDOW_STEPS; k++) {
      const t = centre + (k * WINDOW_MS) / WINDOW_STEPS;
      const v = visemeAt(phonemes, t, hint);
      const w = (WINDOW_STEPS + 1 - Math.abs(k)) * WEIGHT[v];
      const pose = POSES[v];
      target.open += pose.open * w;
      target.width += pose.width * w;
      target.round += pose.round * w;
      total += w;
    }
    const open = target.open / total;
    const pose = {
      open: prev.open + (open - prev.open) * (open > prev.open ? ATTACK : RELEASE),
      width: prev.width + (target.width / total - prev.width) * SHAPE,
      round: prev.round + (target.round / total - prev.round) * SHAPE,
    };
    out.push(pose);
    prev = pose;
  }
  return out;
}

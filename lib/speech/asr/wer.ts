/** Spellings recognisers and transcripts disagree on, counted as the same word. */
const SAME_WORD: Record<string, string> = { mr: "mister", mrs: "missus", dr: "doctor", ok: "okay" };

/** Lower-case words without punctuation; each Han character counts as one token (character error rate). */
export function scoringTokens(text: string): string[] {
  return (
    text
      .toLowerCase()
      .replace(/[\u3400-\u9fff]/g, " $& ")
      .match(/[\p{L}\p{N}']+/gu)
      ?.map((w) => w.replace(/^'+|'+$/g, ""))
      .filter(Boolean)
      .map((w) => SAME_WORD[w] ?? w) ?? []
  );
}

/**
 * Word error rate: (substitutions + deletions + insertions) / reference words, by edit distance.
 * 0 is perfect; it can exceed 1 when the hypothesis adds many words. An empty reference gives 0 or 1.
 */
export function wordErrorRate(reference: string, hypothesis: string): number {
  const ref = scoringTokens(reference);
  const hyp = scoringTokens(hypothesis);
  if (ref.length === 0) return hyp.length === 0 ? 0 : 1;
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const row = [i];
    for (let j = 1; j <= hyp.length; j++) {
      const sub = prev[j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      row.push(Math.min(sub, prev[j]! + 1, row[j - 1]! + 1));
    }
    prev = row;
  }
  return prev[hyp.length]! / ref.length;
}

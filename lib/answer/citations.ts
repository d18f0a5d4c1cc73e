/**
 * Citation markers as models write them: `[1]`, `[1, 3]`, `[1][2]`, `[2-4]`, and the full-width `【1】`, `[1，3]`
 * and `[1、3]` that Chinese output uses.
 */
const MARKER = /[[【]\s*(\d{1,3}(?:\s*[-–]\s*\d{1,3})?(?:\s*[,，、;；]\s*\d{1,3}(?:\s*[-–]\s*\d{1,3})?)*)\s*[\]】]/g;
/** An opening bracket with nothing after it that could still become a marker once more text arrives. */
const OPEN_TAIL = /[[【][\d\s,，、;；\-–]*$/;
/** A range wider than this is not a citation (e.g. "[1-100]"). */
const MAX_RANGE = 10;

function numbersIn(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(/[,，、;；]/)) {
    const [from, to] = part.split(/[-–]/).map((s) => Number.parseInt(s.trim(), 10));
    if (from === undefined || Number.isNaN(from)) continue;
    if (to === undefined || Number.isNaN(to)) out.push(from);
    else if (to >= from && to - from < MAX_RANGE) for (let n = from; n <= to; n++) out.push(n);
  }
  return out;
}

/** Passage numbers cited in `text`, in order of first appearance, keeping only those in `valid`. */
export function parseCitations(text: string, valid: Iterable<number>): number[] {
  const allowed = new Set(valid);
  const out: number[] = [];
  for (const m of text.matchAll(MARKER)) {
    for (const n of numbersIn(m[1]!)) if (allowed.has(n) && !out.includes(n)) out.push(n);
  }
  return out;
}

/**
 * Follows citations in text that arrives in pieces, where a marker can be split across chunks (`"[1"`, `", 3]"`).
 * `push` returns the citations first seen in that chunk, so a caller can show a source as soon as it is cited.
 */
export class CitationTracker {
  private readonly valid: Set<number>;
  private pending = "";
  readonly citations: number[] = [];

  constructor(valid: Iterable<number>) {
    this.valid = new Set(valid);
  }

  push(chunk: string): number[] {
    const text = this.pending + chunk;
    const open = text.match(OPEN_TAIL);
    // Markers are short: an unclosed bracket this far back is ordinary text, not a marker still arriving.
    const keep = open && text.length - open.index! <= 32 ? open.index! : text.length;
    this.pending = text.slice(keep);
    const fresh = parseCitations(text.slice(0, keep), this.valid).filter((n) => !this.citations.includes(n));
    this.citations.push(...fresh);
    return fresh;
  }
}

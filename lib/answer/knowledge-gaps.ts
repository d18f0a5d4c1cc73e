import "server-only";
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { env, projectPath } from "@/lib/config/env";
import { AppError } from "@/lib/errors";

/** A question the knowledge base could not answer, for the admin to fill in; the same question asked again counts up. */
export interface KnowledgeGap {
  /** When it was last asked (ISO 8601). */
  at: string;
  /** When it was first asked. */
  firstAt: string;
  /** As last asked (the same question in other case, spacing or punctuation counts as the same). */
  question: string;
  lang: string;
  confidence: number;
  sessionId?: string;
  /** Times asked. */
  count: number;
}

/** One abstention, as the answer service reports it. */
export interface NewKnowledgeGap {
  at: string;
  question: string;
  lang: string;
  confidence: number;
  sessionId?: string;
}

export interface GapPage {
  /** Newest (last asked) first. */
  gaps: KnowledgeGap[];
  /** Distinct questions kept. */
  total: number;
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** Distinct questions kept per persona; the least recently asked go first. */
export const MAX_GAPS = 2_000;
/** Longest question text kept (anonymous visitors choose what they type). */
const MAX_QUESTION_CHARS = 500;
/** A lock file older than this belongs to a process that died while writing. */
const STALE_LOCK_MS = 10_000;

/** The key that makes two askings one question: case, width, spacing and punctuation do not matter. */
export function normaliseQuestion(question: string): string {
  return question
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function gapFile(personaId: string): string {
  return path.join(projectPath(env().DATA_DIR), "gaps", `${personaId}.jsonl`);
}

interface Batch {
  gaps: Map<string, KnowledgeGap>;
  written: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** One persona's log in this process: the file as last read or written, and the askings not yet written. */
interface GapLog {
  file: string;
  cached: { stamp: string; gaps: Map<string, KnowledgeGap> } | null;
  next: Batch | null;
  writing: boolean;
}

const KEY = Symbol.for("avatar-consult.knowledge-gaps");
const shared = globalThis as typeof globalThis & { [KEY]?: Map<string, GapLog> };
shared[KEY] ??= new Map();
const logs = shared[KEY];

function logFor(personaId: string): GapLog {
  const file = gapFile(personaId);
  let log = logs.get(file);
  if (!log) {
    log = { file, cached: null, next: null, writing: false };
    logs.set(file, log);
  }
  return log;
}

/** Adds `b` (newer) into `a`: counts add up, the latest asking's words and confidence win. */
function merge(a: KnowledgeGap | undefined, b: KnowledgeGap): KnowledgeGap {
  if (!a) return b;
  const [older, newer] = a.at <= b.at ? [a, b] : [b, a];
  return {
    ...newer,
    firstAt: [older.firstAt, newer.firstAt].sort()[0] ?? older.firstAt, // ISO times sort as text
    count: a.count + b.count,
  };
}

/** A line of the file: today's shape, or an older line of one asking each (no count, no firstAt). */
function parseLine(line: string): KnowledgeGap | null {
  try {
    const g = JSON.parse(line) as Partial<KnowledgeGap>;
    if (typeof g.question !== "string" || typeof g.at !== "string") return null;
    return {
      at: g.at,
      firstAt: typeof g.firstAt === "string" ? g.firstAt : g.at,
      question: g.question,
      lang: typeof g.lang === "string" ? g.lang : "en",
      confidence: typeof g.confidence === "number" ? g.confidence : 0,
      ...(typeof g.sessionId === "string" && { sessionId: g.sessionId }),
      count: typeof g.count === "number" && g.count > 0 ? Math.floor(g.count) : 1,
    };
  } catch {
    return null;
  }
}

async function fileStamp(file: string): Promise<string | null> {
  const s = await stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  return s ? `${s.mtimeMs}:${s.size}:${s.ino}` : null;
}

/** The file's questions, re-read only when the file changed since this process last read or wrote it. */
async function load(log: GapLog): Promise<Map<string, KnowledgeGap>> {
  const stamp = await fileStamp(log.file);
  if (stamp === null) return new Map();
  if (log.cached?.stamp === stamp) return log.cached.gaps;
  const gaps = new Map<string, KnowledgeGap>();
  // Line by line: a log written before it was bounded may be large.
  const lines = createInterface({ input: createReadStream(log.file, "utf8"), crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      const g = line ? parseLine(line) : null;
      if (!g) continue;
      const key = normaliseQuestion(g.question);
      gaps.set(key, merge(gaps.get(key), g));
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err; // replaced meanwhile: nothing to read
  }
  log.cached = { stamp, gaps };
  return gaps;
}

/** Newest first; equal times in question order, so that a cursor names one place in the list. */
function newestFirst(a: KnowledgeGap, b: KnowledgeGap): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  return a.question < b.question ? -1 : a.question > b.question ? 1 : 0;
}

/**
 * Runs `write` while holding `<file>.lock`, so web processes sharing DATA_DIR do not overwrite each other's counts.
 * A lock left by a dead process is taken over once stale.
 */
async function withFileLock<T>(file: string, write: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      await (await open(lock, "wx")).close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await rm(lock, { force: true });
      else await new Promise((r) => setTimeout(r, Math.min(100, 5 * (attempt + 1))));
    }
  }
  try {
    return await write();
  } finally {
    await rm(lock, { force: true });
  }
}

/** Writes one batch of askings into the file: merged, capped to MAX_GAPS, replaced whole (readers never see half). */
async function writeBatch(log: GapLog, batch: Map<string, KnowledgeGap>): Promise<void> {
  await mkdir(path.dirname(log.file), { recursive: true });
  await withFileLock(log.file, async () => {
    const gaps = new Map(await load(log));
    for (const [key, g] of batch) gaps.set(key, merge(gaps.get(key), g));
    let kept = [...gaps.entries()];
    if (kept.length > MAX_GAPS) {
      kept = kept.sort(([, a], [, b]) => newestFirst(a, b)).slice(0, MAX_GAPS);
    }
    const tmp = `${log.file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(kept.map(([, g]) => `${JSON.stringify(g)}\n`).join(""));
    } finally {
      await handle.close();
    }
    await rename(tmp, log.file);
    const stamp = await fileStamp(log.file);
    log.cached = stamp ? { stamp, gaps: new Map(kept) } : null;
  });
}

/** Writes batches one after another; askings that arrive meanwhile gather into the next batch. */
async function drain(log: GapLog): Promise<void> {
  if (log.writing) return;
  log.writing = true;
  try {
    while (log.next) {
      const batch = log.next;
      log.next = null;
      try {
        await writeBatch(log, batch.gaps);
        batch.resolve();
      } catch (err) {
        batch.reject(err);
      }
    }
  } finally {
    log.writing = false;
  }
}

/**
 * Records a question the knowledge base could not answer. The log stays bounded however many anonymous visitors
 * ask: the same question (after `normaliseQuestion`) counts up instead of adding a line, and past MAX_GAPS distinct
 * questions the least recently asked are dropped. Resolves once the asking is on disk; askings arriving while a
 * write is under way are written together in the next one.
 */
export function recordKnowledgeGap(personaId: string, gap: NewKnowledgeGap): Promise<void> {
  const log = logFor(personaId);
  const question =
    gap.question.length > MAX_QUESTION_CHARS ? `${gap.question.slice(0, MAX_QUESTION_CHARS - 1)}…` : gap.question;
  const key = normaliseQuestion(question);
  if (!log.next) {
    let resolve = () => {};
    let reject: (err: unknown) => void = () => {};
    const written = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    log.next = { gaps: new Map(), written, resolve, reject };
  }
  const batch = log.next;
  const entry: KnowledgeGap = {
    at: gap.at,
    firstAt: gap.at,
    question,
    lang: gap.lang,
    confidence: gap.confidence,
    ...(gap.sessionId !== undefined && { sessionId: gap.sessionId }),
    count: 1,
  };
  batch.gaps.set(key, merge(batch.gaps.get(key), entry));
  void drain(log);
  return batch.written;
}

/** Every kept question (at most MAX_GAPS), newest first. */
export async function listKnowledgeGaps(personaId: string): Promise<KnowledgeGap[]> {
  return [...(await load(logFor(personaId))).values()].sort(newestFirst);
}

function encodeCursor(g: KnowledgeGap): string {
  return Buffer.from(JSON.stringify([g.at, g.question])).toString("base64url");
}

function decodeCursor(cursor: string): { at: string; question: string } {
  try {
    const [at, question] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (typeof at === "string" && typeof question === "string") return { at, question };
  } catch {
    // falls through to the error below
  }
  throw new AppError("bad_request", "before: not a cursor from this list");
}

/**
 * One page of the kept questions, newest first: `limit` of them after the `before` cursor (the previous page's
 * `nextCursor`), with the total kept. A question asked again meanwhile moves to the front of the list.
 */
export async function pageKnowledgeGaps(
  personaId: string,
  { limit, before }: { limit: number; before?: string },
): Promise<GapPage> {
  const all = await listKnowledgeGaps(personaId);
  let from = 0;
  if (before) {
    const c = decodeCursor(before);
    const mark = { at: c.at, question: c.question } as KnowledgeGap;
    from = all.findIndex((g) => newestFirst(g, mark) > 0);
    if (from < 0) from = all.length;
  }
  const gaps = all.slice(from, from + limit);
  const last = gaps.at(-1);
  return { gaps, total: all.length, nextCursor: last && from + limit < all.length ? encodeCursor(last) : null };
}

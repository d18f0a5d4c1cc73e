import "server-only";
import { AppError, toAppError } from "@/lib/errors";
import type { KnowledgeBase, SearchResult } from "@/lib/knowledge";
import { detectLang } from "@/lib/knowledge/text";
import type { Lang } from "@/lib/persona/persona";
import { disclaimerFor, type SafetyLevel, type SafetyResult } from "@/lib/safety";
import { AnswerCache } from "./answer-cache";
import { checkAnswerability } from "./answerability";
import type { FaqMatcher } from "./faq";
import { recordKnowledgeGap } from "./knowledge-gaps";
import type { SessionMemory } from "./session-memory";
import type { AnswerEngine, AnswerRequest, Passage } from "./types";

export type SafetyScreenFn = (text: string, lang: Lang) => SafetyResult;

export interface Citation {
  n: number;
  docId: string;
  title: string;
  source: string;
  page: number | null;
}

export interface AnswerResult {
  answer: string;
  citations: Citation[];
  engine: string;
  /** Why the configured engine did not answer, when another stood in for it. */
  degraded?: string;
  /** What answered: the safety escalation, the curated FAQ, the answer cache, an engine, or the refusal. */
  via: "safety" | "faq" | "cache" | "engine" | "refusal";
  safety: { level: SafetyLevel; message: string };
  abstained: boolean;
  confidence: number;
  lang: Lang;
  timings: { safetyMs: number; retrieveMs: number; firstTextMs: number; totalMs: number };
}

export type AnswerStreamEvent =
  | { type: "safety"; level: SafetyLevel; message: string; category?: string; informational?: boolean }
  | { type: "sources"; sources: (Citation & { snippet: string })[] }
  | { type: "text"; delta: string }
  | { type: "done"; result: AnswerResult };

export interface AskOptions {
  sessionId?: string;
  lang?: Lang;
  signal?: AbortSignal;
}

interface Cached {
  answer: string;
  citations: Citation[];
  engine: string;
  confidence: number;
}

/**
 * One persona's answering desk: safety screen first, then the curated FAQ, the answer cache, retrieval, and
 * an answer engine, streamed. Questions the knowledge base cannot answer get the persona's refusal and are
 * logged as knowledge gaps; a medical persona's disclaimer is said once per session.
 */
export class AnswerService {
  private readonly cache = new AnswerCache<Cached>();

  constructor(
    private readonly kb: KnowledgeBase,
    private readonly engine: AnswerEngine,
    private readonly fallback: AnswerEngine,
    private readonly faq: FaqMatcher,
    private readonly sessions: SessionMemory,
    private readonly screen: SafetyScreenFn | null,
    /** A language model that has said nothing by then is replaced by the extractive engine for that question. */
    private readonly firstTextDeadlineMs = 10_000,
  ) {}

  get persona() {
    return this.kb.persona;
  }

  get engineId(): string {
    return this.engine.id;
  }

  async *ask(question: string, options: AskOptions = {}): AsyncIterable<AnswerStreamEvent> {
    const t0 = performance.now();
    const since = () => Math.round(performance.now() - t0);
    const persona = this.kb.persona;
    const lang: Lang = options.lang ?? (persona.languages.includes(detectLang(question)) ? detectLang(question) : "en");
    const session = options.sessionId ? await this.sessions.load(options.sessionId) : null;
    const timings = { safetyMs: 0, retrieveMs: 0, firstTextMs: 0, totalMs: 0 };
    // A question about an emergency ("how can I tell if my dad is having a heart attack?") is answered, with the
    // emergency line said first; it is part of the answer.
    let lead = "";
    const finish = async (result: Omit<AnswerResult, "timings" | "lang">): Promise<AnswerStreamEvent> => {
      const r = { ...result, answer: lead + result.answer };
      timings.totalMs = since();
      if (session && options.sessionId) {
        session.turns.push({ role: "user", text: question }, { role: "assistant", text: r.answer });
        await this.sessions.save(options.sessionId, session);
      }
      return { type: "done", result: { ...r, lang, timings } };
    };

    // 1. Safety: an emergency is answered at once and nothing else is said.
    const verdict: SafetyResult = this.screen?.(question, lang) ?? { level: "none", message: "" };
    timings.safetyMs = since();
    if (verdict.level !== "none") {
      yield { type: "safety", level: verdict.level, message: verdict.message, category: verdict.category };
    }
    if (verdict.level === "emergency") {
      timings.firstTextMs = since();
      yield { type: "text", delta: verdict.message };
      yield await finish({
        answer: verdict.message,
        citations: [],
        engine: "safety-rules",
        via: "safety",
        safety: { level: verdict.level, message: verdict.message },
        abstained: false,
        confidence: 1,
      });
      return;
    }

    const emit = (text: string): AnswerStreamEvent => {
      timings.firstTextMs ||= since();
      return { type: "text", delta: text };
    };
    if (verdict.informational && verdict.about && verdict.message) {
      yield { type: "safety", level: verdict.about, message: verdict.message, informational: true };
      lead = `${verdict.message}${lang === "zh" ? "" : " "}`;
      yield emit(lead);
    }

    // 2. Curated answers and recent answers need no retrieval.
    const query = await this.kb.retriever.expand(question);
    const faqHit = this.faq.match(query, lang);
    const cacheKey = AnswerCache.key(persona.id, lang, question);
    const cached = faqHit ? null : await this.cache.get(cacheKey, (ids) => this.kb.store.documentHashes(ids));
    if (faqHit || cached) {
      const disclaimer = this.takeDisclaimer(session, lang);
      const citations = faqHit ? await this.citationsFor(faqHit.entry.sources) : (cached?.citations ?? []);
      const answer = `${faqHit ? faqHit.text : cached?.answer}${disclaimer}`;
      yield { type: "sources", sources: citations.map((c) => ({ ...c, snippet: "" })) };
      yield emit(answer);
      yield await finish({
        answer,
        citations,
        engine: faqHit ? "faq" : (cached?.engine ?? "cache"),
        via: faqHit ? "faq" : "cache",
        safety: { level: verdict.level, message: verdict.message },
        abstained: false,
        confidence: faqHit ? 1 : (cached?.confidence ?? 1),
      });
      return;
    }

    // 3. Retrieval, and abstention when the documents do not cover the question.
    const found = await this.kb.search(question, { expanded: query });
    timings.retrieveMs = since() - timings.safetyMs;
    const passages = await this.sections(found.results);
    yield {
      type: "sources",
      sources: passages.map((p) => ({ ...citationOf(p), snippet: (p.snippet ?? p.text).slice(0, 240) })),
    };
    const answerable =
      found.confidence >= persona.retrieval.minConfidence && passages.length > 0
        ? checkAnswerability(query, passages, await this.kb.store.vocabulary()).ok
        : false;
    if (!answerable) {
      await recordKnowledgeGap(persona.id, {
        at: new Date().toISOString(),
        question,
        lang,
        confidence: found.confidence,
        sessionId: options.sessionId,
      });
      const refusal = persona.refusal[lang] ?? persona.refusal.en ?? "";
      yield emit(refusal);
      yield await finish({
        answer: refusal,
        citations: [],
        engine: this.engine.id,
        via: "refusal",
        safety: { level: verdict.level, message: verdict.message },
        abstained: true,
        confidence: found.confidence,
      });
      return;
    }

    // 4. The engine streams a cited answer.
    let text = "";
    let cited: number[] = [];
    let stopReason = "complete";
    let engineId = this.engine.id;
    let degraded: string | undefined;
    const request = { question, lang, persona, passages, history: session?.turns ?? [], signal: options.signal };
    for await (const ev of this.answerWithFallback(request, (why) => {
      degraded = why;
    })) {
      if (ev.type === "delta") {
        text += ev.text;
        yield emit(ev.text);
      } else {
        cited = ev.citations;
        stopReason = ev.stopReason;
        engineId = ev.engine;
      }
    }
    const disclaimer = text ? this.takeDisclaimer(session, lang) : "";
    if (disclaimer) yield emit(disclaimer);
    const citations = cited.flatMap((n) => {
      const p = passages.find((x) => x.n === n);
      return p ? [citationOf(p)] : [];
    });
    if (stopReason === "complete" && citations.length) {
      const hashes = await this.kb.store.documentHashes([...new Set(citations.map((c) => c.docId))]);
      this.cache.set(cacheKey, { answer: text, citations, engine: engineId, confidence: found.confidence }, hashes);
    }
    yield await finish({
      answer: text + disclaimer,
      citations,
      engine: engineId,
      degraded,
      via: "engine",
      safety: { level: verdict.level, message: verdict.message },
      abstained: false,
      confidence: found.confidence,
    });
  }

  /**
   * The engine's answer; if a language model fails or is late before saying anything (not installed, crashed,
   * busy, overloaded), the extractive engine answers instead and `onDegraded` gets the reason: nobody is left
   * without an answer.
   */
  private async *answerWithFallback(request: AnswerRequest, onDegraded: (why: string) => void) {
    if (this.engine.id === this.fallback.id) {
      yield* this.engine.answer(request);
      return;
    }
    let said = false;
    const late = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, late.signal]) : late.signal;
    const events = this.engine.answer({ ...request, signal })[Symbol.asyncIterator]();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), this.firstTextDeadlineMs);
    });
    try {
      for (;;) {
        const pending = events.next();
        pending.catch(() => {}); // a late engine may still fail after we stopped waiting for it
        const next = said ? await pending : await Promise.race([pending, deadline]);
        if (next === "late") {
          late.abort();
          throw new AppError("unavailable", `no answer text within ${this.firstTextDeadlineMs} ms`);
        }
        if (next.done) return;
        if (next.value.type === "delta" && !said) {
          said = true;
          clearTimeout(timer);
        }
        yield next.value;
      }
    } catch (err) {
      if (said || request.signal?.aborted) throw err;
      onDegraded(`${this.engine.id} failed: ${toAppError(err).message}`);
      yield* this.fallback.answer(request);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The passages an engine answers from: each hit's whole section (so lists and sentences arrive whole), one passage
   * per section however many of its chunks were found, numbered in rank order.
   */
  private async sections(results: SearchResult[]): Promise<Passage[]> {
    const texts = await Promise.all(
      results.map(async (r) => (await this.kb.store.sectionAround(r.docId, r.heading, r.start)) ?? r.text),
    );
    const out: Passage[] = [];
    const seen = new Set<string>();
    results.forEach((r, i) => {
      const key = `${r.docId}\u0000${texts[i]}`;
      if (seen.has(key)) return;
      seen.add(key);
      out.push({ ...toPassage(r, out.length), text: texts[i]!, snippet: r.text });
    });
    return out;
  }

  /** The disclaimer text the first time in a session (or every time without a session), else "". */
  private takeDisclaimer(session: { disclaimerGiven: boolean } | null, lang: Lang): string {
    const text = disclaimerFor(this.kb.persona, lang);
    if (!text || session?.disclaimerGiven) return "";
    if (session) session.disclaimerGiven = true;
    return lang === "zh" ? text : ` ${text}`;
  }

  private async citationsFor(docIds: string[]): Promise<Citation[]> {
    const docs = await this.kb.store.documentsById(docIds);
    return docIds.flatMap((id, i) => {
      const d = docs.get(id);
      return d ? [{ n: i + 1, docId: id, title: d.title, source: d.source, page: null }] : [];
    });
  }
}

/** A passage per retrieved chunk, numbered in rank order. */
function toPassage(r: SearchResult, i: number): Passage {
  return {
    n: i + 1,
    docId: r.docId,
    title: r.title,
    source: r.source,
    page: r.page,
    heading: r.heading,
    text: r.text,
    score: r.score,
  };
}

function citationOf(p: Passage): Citation {
  return { n: p.n, docId: p.docId, title: p.title, source: p.source, page: p.page };
}

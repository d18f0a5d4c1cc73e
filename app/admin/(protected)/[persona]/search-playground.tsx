"use client";
import { type FormEvent, useState } from "react";
import type { SearchResponse } from "@/lib/knowledge";
import { kbFetch } from "./api";

type Result = SearchResponse & { minConfidence: number; wouldAbstain: boolean };

function tone(confidence: number, threshold: number): string {
  if (confidence < threshold) return "#b91c1c";
  if (confidence < threshold + 0.2) return "#b45309";
  return "#15803d";
}

export function SearchPlayground({ personaId }: { personaId: string }) {
  const [question, setQuestion] = useState("");
  const [k, setK] = useState(5);
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (!question.trim()) return;
    setPending(true);
    setError(null);
    try {
      setResult(
        await kbFetch<Result>(`/api/kb/${personaId}/search`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ question, k }),
        }),
      );
    } catch (err) {
      setError((err as Error).message);
      setResult(null);
    } finally {
      setPending(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="search-title">
      <div className="panel-head">
        <div>
          <h2 id="search-title">Search playground</h2>
          <span className="muted">Ask as a visitor would; see which passages the consultant would answer from.</span>
        </div>
      </div>
      <form className="search-form" onSubmit={onSubmit}>
        <label htmlFor="search-question" className="sr-only">
          Question
        </label>
        <input
          id="search-question"
          className="input"
          type="search"
          value={question}
          onChange={(e) => setQuestion(e.target.value)}
          placeholder="e.g. Can I park at the hospital?"
          maxLength={1000}
          data-testid="search-input"
        />
        <label htmlFor="search-k" className="sr-only">
          Number of passages
        </label>
        <select id="search-k" className="input" value={k} onChange={(e) => setK(Number(e.target.value))}>
          {[3, 5, 10, 20].map((n) => (
            <option key={n} value={n}>
              top {n}
            </option>
          ))}
        </select>
        <button
          type="submit"
          className="btn btn-primary"
          disabled={pending || !question.trim()}
          data-testid="search-submit"
        >
          {pending ? "Searching…" : "Search"}
        </button>
      </form>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      <div data-testid="search-results" aria-live="polite" aria-busy={pending}>
        {result && (
          <>
            <div className="confidence">
              <span>
                Confidence <strong data-testid="search-confidence">{result.confidence.toFixed(2)}</strong>
              </span>
              <span className="meter" aria-hidden="true">
                <span
                  style={{
                    width: `${Math.round(result.confidence * 100)}%`,
                    background: tone(result.confidence, result.minConfidence),
                  }}
                />
                <i
                  style={{ left: `${result.minConfidence * 100}%` }}
                  title={`abstains below ${result.minConfidence}`}
                />
              </span>
              {result.wouldAbstain ? (
                <span className="badge badge-error">Would abstain (below {result.minConfidence})</span>
              ) : (
                <span className="badge badge-ok">Would answer</span>
              )}
              <span className="muted">
                {Math.round(result.timings.totalMs)} ms · {result.query.lang.toUpperCase()}
                {result.query.added.length > 0 && ` · expanded with: ${result.query.added.slice(0, 8).join(", ")}`}
              </span>
            </div>
            {result.results.length === 0 ? (
              <p className="empty">No passages matched.</p>
            ) : (
              <ol className="results">
                {result.results.map((r, i) => (
                  <li key={r.id} className="result" data-testid="search-result" data-doc-id={r.docId}>
                    <div className="result-head">
                      <span className="rank">#{i + 1}</span>
                      <strong>{r.title || r.docId}</strong>
                      {r.heading && <span>› {r.heading}</span>}
                      {r.page != null && <span className="badge">page {r.page}</span>}
                      <span className="badge badge-info" title="Fused rank score (reciprocal rank fusion)">
                        score {r.score.toFixed(4)}
                      </span>
                      <span className="badge" title="Share of the question's concepts this passage mentions">
                        coverage {Math.round(r.coverage * 100)}%
                      </span>
                    </div>
                    <p>{r.text.length > 600 ? `${r.text.slice(0, 600)}…` : r.text}</p>
                  </li>
                ))}
              </ol>
            )}
          </>
        )}
      </div>
    </section>
  );
}

"use client";
import { useState } from "react";
import type { KnowledgeGap } from "@/lib/answer/knowledge-gaps";
import { kbFetch } from "./api";
import { LocalTime } from "./local-time";

const SHOWN = 50;

export function KnowledgeGaps({ personaId, initialGaps }: { personaId: string; initialGaps: KnowledgeGap[] }) {
  const [gaps, setGaps] = useState(initialGaps);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function refresh() {
    setPending(true);
    try {
      setGaps((await kbFetch<{ gaps: KnowledgeGap[] }>(`/api/kb/${personaId}/gaps`)).gaps);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setPending(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="gaps-title">
      <div className="panel-head">
        <div>
          <h2 id="gaps-title">Knowledge gaps</h2>
          <span className="muted">Questions the consultant declined to answer: candidates for new documents.</span>
        </div>
        <button type="button" className="btn btn-sm" onClick={refresh} disabled={pending}>
          {pending ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      <div className="table-wrap">
        <table data-testid="gaps-table">
          <thead>
            <tr>
              <th scope="col">Question</th>
              <th scope="col">Asked</th>
              <th scope="col" className="num">
                Confidence
              </th>
            </tr>
          </thead>
          <tbody>
            {gaps.length === 0 && (
              <tr>
                <td colSpan={3} className="empty">
                  No unanswered questions yet.
                </td>
              </tr>
            )}
            {gaps.slice(0, SHOWN).map((g) => (
              <tr key={`${g.at}-${g.question}`} data-testid="gap-row">
                <td>
                  {g.question} <span className="badge">{g.lang.toUpperCase()}</span>
                </td>
                <td>
                  <LocalTime iso={g.at} />
                </td>
                <td className="num">{g.confidence.toFixed(2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {gaps.length > SHOWN && (
        <p className="muted">
          Showing the newest {SHOWN} of {gaps.length}.
        </p>
      )}
    </section>
  );
}

"use client";
import { useState } from "react";
import type { GapPage, KnowledgeGap } from "@/lib/answer/knowledge-gaps";
import { kbFetch } from "./api";
import { GAPS_PAGE } from "./gaps-page";
import { LocalTime } from "./local-time";

/** The knowledge-gap list, a page at a time (newest first, "Show older" for the next page). */
export function KnowledgeGaps({
  personaId,
  initialGaps,
  initialTotal,
  initialCursor,
}: {
  personaId: string;
  initialGaps: KnowledgeGap[];
  initialTotal: number;
  initialCursor: string | null;
}) {
  const [gaps, setGaps] = useState(initialGaps);
  const [total, setTotal] = useState(initialTotal);
  const [cursor, setCursor] = useState<string | null>(initialCursor);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function load(before: string | null) {
    setPending(true);
    try {
      const query = new URLSearchParams({ limit: String(GAPS_PAGE), ...(before && { before }) });
      const page = await kbFetch<GapPage>(`/api/kb/${personaId}/gaps?${query}`);
      setGaps((shown) => (before ? [...shown, ...page.gaps] : page.gaps));
      setTotal(page.total);
      setCursor(page.nextCursor);
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
        <button type="button" className="btn btn-sm" onClick={() => load(null)} disabled={pending}>
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
              <th scope="col">Last asked</th>
              <th scope="col" className="num">
                Times
              </th>
              <th scope="col" className="num">
                Confidence
              </th>
            </tr>
          </thead>
          <tbody>
            {gaps.length === 0 && (
              <tr>
                <td colSpan={4} className="empty">
                  No unanswered questions yet.
                </td>
              </tr>
            )}
            {gaps.map((g) => (
              <tr key={`${g.at}-${g.question}`} data-testid="gap-row">
                <td>
                  {g.question} <span className="badge">{g.lang.toUpperCase()}</span>
                </td>
                <td>
                  <LocalTime iso={g.at} />
                </td>
                <td className="num">{g.count ?? 1}</td>
                <td className="num">{g.confidence.toFixed(2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {total > 0 && (
        <p className="muted">
          Showing the newest {gaps.length} of {total}.{" "}
          {cursor && (
            <button
              type="button"
              className="btn btn-sm"
              onClick={() => load(cursor)}
              disabled={pending}
              data-testid="gaps-older"
            >
              Show older
            </button>
          )}
        </p>
      )}
    </section>
  );
}

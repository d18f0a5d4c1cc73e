import type { Metadata } from "next";
import Link from "next/link";
import type { CSSProperties } from "react";
import { openKnowledgeBase } from "@/app/api/kb/_shared/kb";
import { requireAdminPage } from "@/lib/auth";
import { toAppError } from "@/lib/errors";
import { listPersonaIds, loadPersona } from "@/lib/persona/persona";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Knowledge bases" };

async function summary(id: string) {
  try {
    const persona = await loadPersona(id);
    const kb = await openKnowledgeBase(id);
    const docs = await kb.list();
    const chunks = docs.reduce((n, d) => n + d.chunks, 0);
    return { id, persona, documents: docs.length, chunks, error: null };
  } catch (err) {
    return { id, persona: null, documents: 0, chunks: 0, error: toAppError(err).message };
  }
}

export default async function AdminHome() {
  await requireAdminPage("/admin");
  const rows = await Promise.all((await listPersonaIds()).map(summary));
  return (
    <main>
      <h1>Knowledge bases</h1>
      <p className="muted">Each consultant answers only from its own documents. Choose one to manage.</p>
      {rows.length === 0 && <p className="empty">No personas found under the knowledge folder.</p>}
      <div className="persona-grid">
        {rows.map((r) => (
          <article
            key={r.id}
            className="persona-card"
            style={{ "--accent": r.persona?.theme.accent } as CSSProperties}
            data-testid="persona-card"
            data-persona={r.id}
          >
            <h2>
              <Link href={`/admin/${r.id}`}>{r.persona?.name ?? r.id}</Link>
            </h2>
            <p className="muted" style={{ margin: "0.2rem 0 0" }}>
              {r.persona ? `${r.persona.title}, ${r.persona.organisation}` : r.id}
            </p>
            {r.error ? (
              <p className="alert alert-error">{r.error}</p>
            ) : (
              <div className="stats">
                <div className="stat">
                  <strong data-testid="document-count">{r.documents}</strong>
                  <span>documents</span>
                </div>
                <div className="stat">
                  <strong>{r.chunks}</strong>
                  <span>passages</span>
                </div>
                <div className="stat">
                  <strong>{r.persona?.languages.join(", ").toUpperCase()}</strong>
                  <span>languages</span>
                </div>
              </div>
            )}
          </article>
        ))}
      </div>
    </main>
  );
}

import Link from "next/link";
import type { CSSProperties } from "react";
import { health } from "@/lib/health/health";

export const dynamic = "force-dynamic";

/** Personas that have a consult page of their own (app/(consult)). */
const SURFACES = new Set(["triage", "support"]);

export default async function Home() {
  const h = await health();
  return (
    <main>
      <h1>Avatar Consult</h1>
      <p className="muted">
        A digital human that answers spoken questions from your organisation&apos;s own documents.
      </p>
      <section className="cards" aria-label="Consultants">
        {h.personas.map((p) => (
          <article key={p.id} className="card" style={{ "--accent": p.accent } as CSSProperties}>
            <h2>
              {SURFACES.has(p.id) ? (
                <Link href={`/${p.id}`} className="card__link">
                  {p.name}
                </Link>
              ) : (
                p.name
              )}
            </h2>
            <p>
              {p.title}, {p.organisation}
            </p>
            <p className="muted">
              {p.documents} documents, {p.chunks} passages indexed
            </p>
          </article>
        ))}
      </section>
      {h.problems.length > 0 && (
        <section aria-label="Problems">
          <h2>Needs attention</h2>
          <ul>
            {h.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}

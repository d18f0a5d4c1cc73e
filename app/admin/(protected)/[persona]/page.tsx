import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { openKnowledgeBase } from "@/app/api/kb/_shared/kb";
import { pageKnowledgeGaps } from "@/lib/answer/knowledge-gaps";
import { requireAdminPage } from "@/lib/auth";
import { env } from "@/lib/config/env";
import { AppError } from "@/lib/errors";
import { loadPersona } from "@/lib/persona/persona";
import { AvatarPreview } from "./avatar-preview";
import { GAPS_PAGE } from "./gaps-page";
import { KnowledgeBaseManager } from "./knowledge-base";
import { KnowledgeGaps } from "./knowledge-gaps";
import { SearchPlayground } from "./search-playground";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ persona: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { persona } = await params;
  return { title: persona };
}

export default async function PersonaAdminPage({ params }: Props) {
  const { persona: id } = await params;
  await requireAdminPage(`/admin/${id}`);
  const persona = await loadPersona(id).catch((err) => {
    if (err instanceof AppError && err.code === "unknown_persona") notFound();
    throw err;
  });
  const kb = await openKnowledgeBase(id);
  const [documents, gaps] = await Promise.all([kb.list(), pageKnowledgeGaps(id, { limit: GAPS_PAGE })]);

  return (
    <main>
      <p className="muted" style={{ margin: 0 }}>
        <Link href="/admin">Knowledge bases</Link> / {persona.name}
      </p>
      <h1>{persona.name}</h1>
      <p className="muted">
        {persona.title}, {persona.organisation} · languages {persona.languages.join(", ").toUpperCase()} · abstains
        below confidence {persona.retrieval.minConfidence}
      </p>
      <div className="grid-2">
        <KnowledgeBaseManager personaId={id} initialDocuments={documents} maxFileMb={env().KB_MAX_FILE_MB} />
        <AvatarPreview personaId={id} alt={persona.avatar.alt} />
      </div>
      <div className="grid-2">
        <SearchPlayground personaId={id} />
        <KnowledgeGaps
          personaId={id}
          initialGaps={gaps.gaps}
          initialTotal={gaps.total}
          initialCursor={gaps.nextCursor}
        />
      </div>
    </main>
  );
}

import "server-only";
import { requireAdmin } from "@/lib/auth/guard";
import { errorResponse } from "@/lib/http";
import { KnowledgeBase } from "@/lib/knowledge";
import { loadPersona } from "@/lib/persona/persona";

const bases = new Map<string, Promise<KnowledgeBase>>();

/** The persona's knowledge base, opened once per process (it caches its table and vocabulary). */
export async function openKnowledgeBase(personaId: string): Promise<KnowledgeBase> {
  await loadPersona(personaId); // unknown_persona (404) before anything is created
  let kb = bases.get(personaId);
  if (!kb) {
    kb = KnowledgeBase.open(personaId);
    kb.catch(() => bases.delete(personaId));
    bases.set(personaId, kb);
  }
  return kb;
}

const locks = new Map<string, Promise<unknown>>();

/** Runs writes to one persona's table one at a time (uploads, deletes and re-indexing never interleave). */
export function serialized<T>(personaId: string, work: () => Promise<T>): Promise<T> {
  const previous = locks.get(personaId) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  locks.set(personaId, next);
  void next
    .finally(() => {
      if (locks.get(personaId) === next) locks.delete(personaId);
    })
    .catch(() => undefined);
  return next;
}

export type KbContext<P> = { params: Promise<P> };

/**
 * Wraps a /api/kb handler: the admin check comes first (401 / 403 before the persona is even looked up),
 * then the handler; every failure becomes a JSON error through errorResponse.
 */
export function adminHandler<P extends { persona: string }>(
  handler: (req: Request, params: P) => Promise<Response>,
): (req: Request, ctx: KbContext<P>) => Promise<Response> {
  return async (req, ctx) => {
    try {
      await requireAdmin(req);
      return await handler(req, await ctx.params);
    } catch (err) {
      return errorResponse(err);
    }
  };
}

export const noStore = { "cache-control": "no-store" } as const;

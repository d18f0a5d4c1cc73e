import "server-only";
import { type AdminIdentity, requireAdmin } from "@/lib/auth/guard";
import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http";
import { KnowledgeBase } from "@/lib/knowledge";
import { loadPersona } from "@/lib/persona/persona";
import { assertSameOrigin } from "@/lib/protection/same-origin";

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
const waiting = new Map<string, number>();

/** Writes queued for the persona's lock that have not started yet. */
export function writesWaiting(personaId: string): number {
  return waiting.get(personaId) ?? 0;
}

export interface SerializedOptions {
  /** The request's signal: aborted when its client left. */
  signal?: AbortSignal;
  /** What the work is, for the log line when it is skipped ("delete of x.md"). */
  what?: string;
}

/**
 * Runs writes to one persona's table one at a time (uploads, deletes and re-indexing never interleave). A write
 * whose client left while it waited for its turn is skipped, with a log line, instead of being applied later with
 * nobody told: the admin saw it fail and may already have done something else.
 */
export function serialized<T>(personaId: string, work: () => Promise<T>, options: SerializedOptions = {}): Promise<T> {
  const { signal, what = "write" } = options;
  const previous = locks.get(personaId) ?? Promise.resolve();
  const queuedAt = performance.now();
  waiting.set(personaId, writesWaiting(personaId) + 1);
  const next = previous
    .catch(() => undefined)
    .then(() => {
      const left = writesWaiting(personaId) - 1;
      if (left > 0) waiting.set(personaId, left);
      else waiting.delete(personaId);
      if (signal?.aborted) {
        const waited = Math.round(performance.now() - queuedAt);
        console.warn(
          `[kb] ${personaId}: ${what} skipped: its client left while it waited ${waited} ms for the write lock`,
        );
        throw new AppError("unavailable", `${what} was not applied: the client left before its turn`);
      }
      return work();
    });
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
 * Wraps a /api/kb handler. In order, before the persona is looked up or any body read: the admin check (401 /
 * 403), then for every method but GET/HEAD/OPTIONS the same-origin check (403), so that no write route can forget
 * it; then the handler. Every failure becomes a JSON error through errorResponse. These routes are outside the
 * proxy (proxy.ts), so this is the only gate and it runs before the body is touched.
 */
export function adminHandler<P extends { persona: string }>(
  handler: (req: Request, params: P, admin: AdminIdentity) => Promise<Response>,
): (req: Request, ctx: KbContext<P>) => Promise<Response> {
  return async (req, ctx) => {
    try {
      const admin = await requireAdmin(req);
      assertSameOrigin(req);
      return await handler(req, await ctx.params, admin);
    } catch (err) {
      return errorResponse(err);
    }
  };
}

export const noStore = { "cache-control": "no-store" } as const;

/**
 * Next.js calls this once when the server starts: warm every persona's indexes, the media workers (speech engines,
 * avatars) and the whole turn pipeline, so the first visitors wait for none of it.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  (await import("@/lib/protection/shutdown")).installGracefulShutdown();
  const { warmKnowledgeBases } = await import("@/lib/knowledge/warm");
  const { warmTurnPipeline } = await import("@/lib/turn/runtime");
  const { listPersonaIds } = await import("@/lib/persona/persona");
  await warmKnowledgeBases();
  // Not awaited: the server answers health checks while the media workers load and the warm-up turns run; a turn
  // arriving meanwhile waits for what it needs.
  warmTurnPipeline(await listPersonaIds()).catch((err: Error) => console.warn(`[warm] turn pipeline: ${err.message}`));
}

/**
 * Next.js calls this once when the server starts: warm every persona's indexes and the media worker (speech engines,
 * avatars), so the first visitor waits for none of it.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  (await import("@/lib/protection/shutdown")).installGracefulShutdown();
  const { warmKnowledgeBases } = await import("@/lib/knowledge/warm");
  const { warmTurnPipeline } = await import("@/lib/turn/runtime");
  const { listPersonaIds } = await import("@/lib/persona/persona");
  await warmKnowledgeBases();
  // Not awaited: the server answers health checks while the media worker loads; a turn waits for it if needed.
  warmTurnPipeline(await listPersonaIds()).catch((err: Error) => console.warn(`[warm] media worker: ${err.message}`));
}

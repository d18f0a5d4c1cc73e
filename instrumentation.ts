/** Next.js calls this once when the server starts: warm every persona's indexes so the first visitor waits for nothing. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { warmKnowledgeBases } = await import("@/lib/knowledge/warm");
  await warmKnowledgeBases();
}

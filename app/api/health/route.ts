import { health } from "@/lib/health/health";

export const dynamic = "force-dynamic";

/** 200 while this process can answer people; 503 while it drains for shutdown or has no persona at all. */
export async function GET() {
  const h = await health();
  return Response.json(h, { status: h.personas.length && !h.draining ? 200 : 503 });
}

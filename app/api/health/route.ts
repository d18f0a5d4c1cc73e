import { health } from "@/lib/health/health";

export const dynamic = "force-dynamic";

export async function GET() {
  const h = await health();
  return Response.json(h, { status: h.personas.length ? 200 : 503 });
}

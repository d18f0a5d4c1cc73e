import { createHash, timingSafeEqual } from "node:crypto";
import { env } from "@/lib/config/env";
import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http";
import { METRICS_CONTENT_TYPE, metricsText } from "@/lib/metrics";

export const dynamic = "force-dynamic";

/** Compares digests so neither the token's content nor its length leaks through timing. */
function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Prometheus scrape endpoint; wants `Authorization: Bearer <METRICS_TOKEN>` when that is set. */
export async function GET(req: Request): Promise<Response> {
  const token = env().METRICS_TOKEN;
  if (token) {
    const given = /^Bearer\s+(.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1]?.trim();
    if (!given || !sameToken(given, token)) {
      const res = errorResponse(new AppError("unauthorized", "metrics need Authorization: Bearer <METRICS_TOKEN>"));
      res.headers.set("www-authenticate", 'Bearer realm="metrics"');
      return res;
    }
  }
  return new Response(await metricsText(), {
    headers: { "content-type": METRICS_CONTENT_TYPE, "cache-control": "no-store" },
  });
}

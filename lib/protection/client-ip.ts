import "server-only";

/**
 * The client's address, the key for per-address rate limits. The forwarding headers are trusted because the app is
 * deployed behind its own proxy (nginx), which sets them: `X-Real-IP $remote_addr`, and `X-Forwarded-For` overwritten
 * with `$remote_addr` or appended to (`$proxy_add_x_forwarded_for`). So the last X-Forwarded-For entry is the one our
 * proxy wrote; earlier entries are whatever the client sent and would let it pick its own key. Reached directly (in
 * development) requests carry neither header and share the "local" budget.
 */
export function clientIp(req: Request): string {
  const realIp = req.headers.get("x-real-ip")?.trim();
  if (realIp) return realIp;
  return req.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim() || "local";
}

/**
 * The production web process (`npm start` runs one per port): Next's request handler behind our own http server, so
 * that every request carries the client address worked out from the socket and TRUSTED_PROXIES
 * (lib/protection/client-address.ts). `next start` keeps a client-sent X-Forwarded-For, so behind it a route could
 * not tell a client's own address from one the client made up. It listens on PORT.
 */
import { createServer } from "node:http";
import next from "next";
import { env } from "@/lib/config/env";
import { stampClientAddress, TrustedProxies } from "@/lib/protection/client-address";

/** Idle keep-alive connections outlive a person's listening and thinking (and a load balancer's idle timeout). */
const KEEP_ALIVE_MS = 65_000;

async function main(): Promise<void> {
  const e = env();
  if (e.NODE_ENV !== "production") {
    throw new Error("the production web server needs NODE_ENV=production (npm start sets it; use `npm run dev` else)");
  }
  const trusted = TrustedProxies.parse(e.TRUSTED_PROXIES);
  const port = e.PORT;
  const app = next({ dev: false, dir: process.cwd(), port });
  // Loads the build and runs instrumentation.ts's register() (warm-up, graceful shutdown) before listening.
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = createServer((req, res) => {
    stampClientAddress(req, trusted);
    handle(req, res).catch((err: unknown) => {
      console.error("[web] request failed:", err);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.listen(port, () => {
    const proxies = trusted.size ? `forwarding headers believed from ${e.TRUSTED_PROXIES}` : "no trusted proxies";
    console.log(`[web] listening on port ${port} (${proxies})`);
  });
}

main().catch((err) => {
  console.error(`[web] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

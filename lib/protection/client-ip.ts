import "server-only";
import { addressKey, CLIENT_ADDRESS_HEADER, normaliseAddress } from "./client-address";

/**
 * The client's address as the key for per-address limits (an IPv6 client by its /64 network). It comes from the
 * header the production web server (workers/web.ts) stamps on every request after working the address out from the
 * socket and TRUSTED_PROXIES; forwarding headers a client sends are never read here. Without that server (the dev
 * server, tests calling handlers directly) every request shares the "local" budget.
 */
export function clientIp(req: Request): string {
  const stamped = normaliseAddress(req.headers.get(CLIENT_ADDRESS_HEADER) ?? "");
  return stamped ? addressKey(stamped) : "local";
}

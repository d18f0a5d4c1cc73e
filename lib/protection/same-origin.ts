import { AppError } from "@/lib/errors";

/** Methods that change nothing; everything else must come from this site's own pages. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A header value quoted in an error message, cut short: it comes from whoever sent the request. */
const quote = (v: string) => (v.length > 100 ? `${v.slice(0, 100)}...` : v);

const firstOf = (v: string | null) => v?.split(",")[0]?.trim() || undefined;

/**
 * The origin the browser addressed, e.g. `https://kb.example.org`. Not `req.url`: under `next start` a route
 * handler's URL is built from the server's own hostname and port (`http://localhost:3000`), whatever the
 * browser typed. Next itself sets `X-Forwarded-Host` (from Host) and `X-Forwarded-Proto` (from the socket) when
 * no proxy did, and a proxy in front sets its own; so these headers, then Host, then the URL. Trusting them is
 * safe here: a page in the victim's browser can set neither Host nor X-Forwarded-* on a cross-origin request
 * (forbidden or not CORS-safelisted), so they cannot be used to make a forged request look same-origin.
 */
export function expectedOrigin(req: Request): string | null {
  const url = new URL(req.url);
  const host = firstOf(req.headers.get("x-forwarded-host")) ?? req.headers.get("host")?.trim() ?? url.host;
  const proto = firstOf(req.headers.get("x-forwarded-proto"))?.toLowerCase().replace(/:$/, "");
  const scheme = proto === "http" || proto === "https" ? proto : url.protocol.replace(/:$/, "");
  return originOf(`${scheme}://${host}`);
}

/** The serialised origin of a URL (lower-case host, default port dropped), or null when it is not one. */
function originOf(value: string): string | null {
  try {
    const origin = new URL(value).origin;
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}

/**
 * Refuses (403 `forbidden`) a state-changing request that did not come from this site's own pages: cross-site
 * request forgery, including from another port or a sibling subdomain of the same site, which SameSite=Lax lets
 * carry the session cookie. Safe methods pass.
 *
 * `Sec-Fetch-Site`, when present, decides alone: browsers set it and page scripts cannot, and it accounts for
 * redirects. Browsers without it (before 2023 in Safari) send `Origin` on every POST/DELETE, which must then equal
 * the request's own origin. A request with neither is not from a browser page that could be forged, but it is
 * refused too, so that a client has to say where it comes from.
 */
export function assertSameOrigin(req: Request): void {
  if (SAFE_METHODS.has(req.method.toUpperCase())) return;
  const site = req.headers.get("sec-fetch-site")?.trim().toLowerCase();
  if (site === "same-origin") return;
  if (site) {
    throw new AppError(
      "forbidden",
      `refused a ${quote(site)} request (Sec-Fetch-Site): changes are accepted only from this site's own pages`,
    );
  }
  const origin = req.headers.get("origin")?.trim();
  const expected = expectedOrigin(req);
  if (!origin) {
    throw new AppError(
      "forbidden",
      `refused a request without Origin or Sec-Fetch-Site: changes are accepted only from this site's own pages (a script must send Origin: ${expected ?? "<this site>"})`,
    );
  }
  if (!expected || originOf(origin) !== expected) {
    throw new AppError(
      "forbidden",
      `refused a request from ${quote(origin)}: changes are accepted only from this site's own pages (${expected ?? "unknown host"})`,
    );
  }
}

import { type NextRequest, NextResponse } from "next/server";
import { sessionFromRequest } from "@/lib/auth/session-token";

/**
 * First line of defence for the admin pages (Next 16 calls this file `proxy.ts`, formerly middleware): `/admin/*`
 * redirects to the sign-in page without an admin session. Pages check again themselves.
 *
 * `/api/kb/*` is deliberately not matched: for a request the proxy sees, Next copies the body aside for it and cuts
 * that copy at 10 MB (`proxyClientMaxBodySize`), so larger uploads arrived truncated, and every body, an anonymous
 * one too, was buffered before anything refused it. Those handlers check the admin session and the origin
 * themselves (adminHandler in app/api/kb/_shared/kb.ts) before reading any body.
 */
export async function proxy(req: NextRequest) {
  const { pathname, search } = req.nextUrl;
  if (pathname === "/admin/login" || pathname.startsWith("/admin/login/")) return NextResponse.next();
  const claims = await sessionFromRequest(req);
  if (claims?.role === "admin") return NextResponse.next();
  const login = new URL("/admin/login", req.url);
  login.searchParams.set("callbackUrl", `${pathname}${search}`);
  return NextResponse.redirect(login);
}

export const config = { matcher: ["/admin", "/admin/:path*"] };

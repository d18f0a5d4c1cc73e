import { type NextRequest, NextResponse } from "next/server";
import { sessionFromRequest } from "@/lib/auth/session-token";
import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http";

/**
 * First line of defence for the admin surface (Next 16 calls this file `proxy.ts`, formerly middleware):
 * `/admin/*` pages redirect to the sign-in page without an admin session, `/api/kb/*` answers 401 / 403 JSON.
 * Pages and handlers check again themselves, so nothing depends on this running.
 */
export async function proxy(req: NextRequest) {
  const { pathname, search } = req.nextUrl;
  if (pathname === "/admin/login" || pathname.startsWith("/admin/login/")) return NextResponse.next();
  const claims = await sessionFromRequest(req);
  if (claims?.role === "admin") return NextResponse.next();
  if (pathname.startsWith("/api/kb")) {
    return errorResponse(
      claims
        ? new AppError("forbidden", "this needs an administrator account")
        : new AppError("unauthorized", "sign in as an administrator first"),
    );
  }
  const login = new URL("/admin/login", req.url);
  login.searchParams.set("callbackUrl", `${pathname}${search}`);
  return NextResponse.redirect(login);
}

export const config = { matcher: ["/admin", "/admin/:path*", "/api/kb/:path*"] };

import "server-only";
import { AppError } from "@/lib/errors";
import { type SessionClaims, sessionFromRequest } from "./session-token";

export interface AdminIdentity {
  email: string;
  role: "admin";
}

/** Refuses no session (401) and a session without the admin role (403). */
export function assertAdmin(claims: { role?: unknown; email?: unknown } | null | undefined): AdminIdentity {
  if (!claims) throw new AppError("unauthorized", "sign in as an administrator first");
  if (claims.role !== "admin") throw new AppError("forbidden", "this needs an administrator account");
  return { email: typeof claims.email === "string" ? claims.email : "", role: "admin" };
}

/**
 * For route handlers: the admin behind this request, or an AppError (unauthorized / forbidden) to hand to
 * errorResponse. Checks the session cookie itself, so it holds even when the proxy is bypassed.
 * `readSession` is injectable for tests.
 */
export async function requireAdmin(
  req: Request,
  readSession: (req: Request) => Promise<SessionClaims | null> = sessionFromRequest,
): Promise<AdminIdentity> {
  return assertAdmin(await readSession(req));
}

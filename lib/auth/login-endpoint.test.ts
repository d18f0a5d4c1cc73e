import bcrypt from "bcryptjs";
import { beforeAll, describe, expect, it, vi } from "vitest";

/**
 * next-auth's own sign-in endpoint (POST /api/auth/callback/credentials), which a script can post to without the
 * sign-in form: the throttle must hold there too, and the session cookie must be SameSite=Strict. Run through
 * @auth/core's `Auth`, which next-auth's route handlers call with this config (next-auth's own module needs Next).
 */
describe("POST /api/auth/callback/credentials", () => {
  let POST: (req: Request) => Promise<Response>;
  let GET: (req: Request) => Promise<Response>;
  const base = "http://localhost:3000/api/auth";

  beforeAll(async () => {
    vi.stubEnv("AUTH_SECRET", "t".repeat(48));
    vi.stubEnv("ADMIN_EMAIL", "admin@example.org");
    vi.stubEnv("ADMIN_PASSWORD_HASH", bcrypt.hashSync("correct horse", 4));
    vi.stubEnv("LOGIN_FAILURES_PER_ACCOUNT", "2");
    const { Auth } = await import("@auth/core");
    const { authConfig } = await import("./auth-config");
    const handle = (req: Request) => Auth(req, { ...authConfig(), basePath: "/api/auth" });
    GET = handle;
    POST = handle;
  });

  /** A sign-in as a script would post it: CSRF token and cookie first, then the form, from `address`. */
  async function signIn(password: string, address: string) {
    const csrf = await GET(new Request(`${base}/csrf`));
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const cookie = csrf.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    return POST(
      new Request(`${base}/callback/credentials`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie, "x-avatar-client-ip": address },
        body: new URLSearchParams({ email: "admin@example.org", password, csrfToken, callbackUrl: "/admin" }),
      }),
    );
  }

  it("is throttled after the account's allowance (from any address), with its own error code", async () => {
    const first = await signIn("wrong", "198.51.100.1");
    expect(first.headers.get("location")).toContain("error=CredentialsSignin&code=credentials");
    await signIn("wrong", "198.51.100.2");
    const throttled = await signIn("correct horse", "198.51.100.3");
    expect(throttled.status).toBe(302);
    expect(throttled.headers.get("location")).toContain("/admin/login?error=CredentialsSignin&code=throttled");
    expect(throttled.headers.getSetCookie().join("\n")).not.toContain("session-token");
  });

  it("sets the session cookie SameSite=Strict, httpOnly, under next-auth's name", async () => {
    const { loginThrottle } = await import("./throttle");
    await loginThrottle().succeeded("admin@example.org", "198.51.100.9"); // clear the previous test's waits
    const res = await signIn("correct horse", "198.51.100.9");
    const session = res.headers.getSetCookie().find((c) => c.startsWith("authjs.session-token="));
    expect(session).toBeDefined();
    expect(session).toMatch(/;\s*SameSite=Strict/i);
    expect(session).toMatch(/;\s*HttpOnly/i);
    expect(session).toMatch(/;\s*Path=\//i);
    expect(session).not.toMatch(/;\s*Secure/i); // plain http here; https gets __Secure- and Secure
  });
});

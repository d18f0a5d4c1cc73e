import { describe, expect, it, vi } from "vitest";

// next-auth's own module needs Next's server; its error classes come from @auth/core, as in the app.
vi.mock("next-auth", async () => ({ AuthError: (await import("@auth/core/errors")).AuthError }));
const signIn = vi.hoisted(() => vi.fn());
vi.mock("@/lib/auth", () => ({ signIn, signOut: vi.fn() }));

describe("loginAction", () => {
  const form = (password: string) => {
    const f = new FormData();
    f.set("email", "admin@example.org");
    f.set("password", password);
    return f;
  };

  it("says how long to wait when the sign-in was throttled, and wrong password otherwise", async () => {
    vi.stubEnv("AUTH_SECRET", "a".repeat(48));
    const { loginAction } = await import("./actions");
    const { SignInThrottled } = await import("@/lib/auth/auth-config");
    const { CredentialsSignin } = await import("@auth/core/errors");
    signIn.mockRejectedValueOnce(new SignInThrottled(250));
    expect(await loginAction({}, form("x"))).toEqual({
      error: "Too many sign-in attempts; try again in 5 minutes.",
      email: "admin@example.org",
    });
    signIn.mockRejectedValueOnce(new CredentialsSignin());
    expect(await loginAction({}, form("x"))).toEqual({
      error: "Wrong e-mail or password.",
      email: "admin@example.org",
    });
  });
});

import bcrypt from "bcryptjs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signInErrorMessage } from "@/app/admin/login/messages";
import { bcryptCheck, verifyAdminCredentials } from "./credentials";
import { LoginThrottle } from "./throttle";

const account = { email: "admin@example.org", passwordHash: bcrypt.hashSync("correct horse", 4) };

/** The real bcrypt check, counted: a throttled attempt must never reach it. */
function countedCheck() {
  const check = vi.fn(bcryptCheck);
  return check;
}

function setup(failuresPerAccount = 3, failuresPerAddress = 100) {
  const throttle = new LoginThrottle({ failuresPerAccount, failuresPerAddress, store: null, refusalDelayMs: 0 });
  const check = countedCheck();
  const attempt = (password: string, address = "198.51.100.1", email = account.email) =>
    verifyAdminCredentials({ email, password }, account, { throttle, address, check });
  return { throttle, check, attempt };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("login throttle", () => {
  it("after N wrong passwords the account waits 2^n s, and a waiting attempt runs no bcrypt", async () => {
    vi.useFakeTimers();
    const { check, attempt } = setup(3);
    expect(await attempt("wrong")).toBeNull();
    expect(await attempt("wrong")).toBeNull();
    expect(await attempt("wrong")).toBeNull(); // the third failure: wait 2^3 = 8 s
    expect(check).toHaveBeenCalledTimes(3);
    // Even the right password waits, from any address (the account is what is guessed).
    await expect(attempt("correct horse", "203.0.113.9")).rejects.toMatchObject({
      code: "rate_limited",
      retryAfterS: 8,
      message: "too many sign-in attempts; try again in 1 minute",
    });
    expect(check).toHaveBeenCalledTimes(3);
    vi.advanceTimersByTime(8_000);
    expect(await attempt("wrong")).toBeNull(); // one attempt after the wait, then 2^4 = 16 s
    await expect(attempt("wrong")).rejects.toMatchObject({ retryAfterS: 16 });
    expect(check).toHaveBeenCalledTimes(4);
  });

  it("the wait grows up to 15 minutes", async () => {
    vi.useFakeTimers();
    const { attempt } = setup(1);
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      expect(await attempt("wrong")).toBeNull();
      const err = (await attempt("wrong").catch((e: unknown) => e)) as { retryAfterS: number };
      waits.push(err.retryAfterS);
      vi.advanceTimersByTime(err.retryAfterS * 1000);
    }
    expect(waits).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]);
  });

  it("parallel guesses cannot all slip past the count before the first one fails", async () => {
    const { check, attempt } = setup(3);
    const results = await Promise.allSettled(Array.from({ length: 16 }, () => attempt("wrong")));
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(13);
    expect(check).toHaveBeenCalledTimes(3);
  });

  it("a correct password resets the account's count", async () => {
    const { attempt } = setup(3);
    expect(await attempt("wrong")).toBeNull();
    expect(await attempt("wrong")).toBeNull();
    await expect(attempt("correct horse")).resolves.toMatchObject({ role: "admin" });
    expect(await attempt("wrong")).toBeNull();
    expect(await attempt("wrong")).toBeNull(); // two again: not throttled
    await expect(attempt("correct horse")).resolves.toMatchObject({ role: "admin" });
  });

  it("limits wrong passwords per address across accounts, in a 15-minute window", async () => {
    vi.useFakeTimers();
    const { check, attempt } = setup(100, 4);
    for (let i = 0; i < 4; i++) expect(await attempt("wrong", "198.51.100.7", `user${i}@example.org`)).toBeNull();
    await expect(attempt("correct horse", "198.51.100.7")).rejects.toMatchObject({
      code: "rate_limited",
      retryAfterS: 900,
      message: "too many sign-in attempts; try again in 15 minutes",
    });
    expect(check).toHaveBeenCalledTimes(4);
    await expect(attempt("correct horse", "198.51.100.8")).resolves.toMatchObject({ role: "admin" });
    vi.advanceTimersByTime(900_000);
    await expect(attempt("correct horse", "198.51.100.7")).resolves.toMatchObject({ role: "admin" });
  });

  it("holds a refused attempt a second before answering, so a guesser waiting for answers slows down", async () => {
    vi.useFakeTimers();
    const throttle = new LoginThrottle({ failuresPerAccount: 1, failuresPerAddress: 100, store: null });
    await throttle.begin("a@b.c", "x"); // the first failure: the account now waits
    let settled = false;
    const refused = throttle.begin("a@b.c", "x").finally(() => {
      settled = true;
    });
    refused.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(refused).rejects.toMatchObject({ code: "rate_limited" });
  });

  it("the sign-in page names the wait instead of a wrong password", () => {
    expect(signInErrorMessage("CredentialsSignin", "throttled", 300)).toBe(
      "Too many sign-in attempts; try again in 5 minutes.",
    );
    expect(signInErrorMessage("CredentialsSignin", "throttled")).toMatch(/^Too many sign-in attempts/);
    expect(signInErrorMessage("CredentialsSignin", "credentials")).toBe("Wrong e-mail or password.");
    expect(signInErrorMessage("CallbackRouteError")).toBe("Sign-in failed. Try again.");
  });
});

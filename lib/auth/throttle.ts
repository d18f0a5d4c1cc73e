import "server-only";
import { type RateLimiterAbstract, RateLimiterRes } from "rate-limiter-flexible";
import { env } from "@/lib/config/env";
import { AppError } from "@/lib/errors";
import { rejected } from "@/lib/metrics";
import { createCounter, type LimitStore, limitStore, secondsFrom } from "@/lib/protection/store";
import { inMinutes } from "./wait";

/** The longest an account waits between attempts, however many wrong passwords came before. */
const MAX_WAIT_S = 15 * 60;
/** Window of the per-address count of wrong passwords. */
const ADDRESS_WINDOW_S = 15 * 60;
/** Consecutive failures are forgotten a day after the first of them, even without a success. */
const FAILURES_MEMORY_S = 24 * 60 * 60;
const REFUSAL_DELAY_MS = 1_000;

export interface LoginThrottleOptions {
  /** Consecutive wrong passwords for one account before each further one makes it wait 2^n s (n: the failures). */
  failuresPerAccount: number;
  /** Wrong passwords from one address per 15 minutes before its sign-ins wait for the window to pass. */
  failuresPerAddress: number;
  store: LimitStore;
  /**
   * How long a refused attempt is held before it is answered (default 1 s). A guesser that waits for each answer
   * (most do) then sends a handful of requests a second per connection instead of as many as the server can
   * answer, which would take the web process's CPU from everyone else. Costs a timer, not CPU.
   */
  refusalDelayMs?: number;
}

/**
 * Slows password guessing down, per account and per client address, in rate-limiter-flexible counters (in Redis when
 * REDIS_URL is set, so every web process sees the same failures). `begin` comes before the password is looked at:
 * a throttled attempt costs no bcrypt, so a flood of guesses cannot occupy the hashing threads either. Each attempt
 * counts as a failure from the start (counters are incremented atomically, so parallel guesses cannot all slip
 * through before the first one fails) until `succeeded` clears the account's and the address's counts.
 *
 * Past LOGIN_FAILURES_PER_ACCOUNT consecutive failures an account lets one attempt through per wait, and the wait is
 * 2^n seconds for the n-th failure, up to 15 minutes. An address gets LOGIN_FAILURES_PER_IP failures per 15 minutes.
 * The account key is the e-mail as typed (normalised), whether or not such an admin exists, so the throttle says
 * nothing about which e-mails are real.
 */
export class LoginThrottle {
  private readonly accountFailures: RateLimiterAbstract;
  /** One point per wait: the attempt that takes it may go on, others are refused until the wait ends. */
  private readonly accountGate: RateLimiterAbstract;
  private readonly addressFailures: RateLimiterAbstract;

  constructor(private readonly options: LoginThrottleOptions) {
    const { store } = options;
    // Counts only (points far above any real count): the waits are decided here, not by the counter.
    this.accountFailures = createCounter({
      name: "login-account-failures",
      points: 1_000_000,
      durationS: FAILURES_MEMORY_S,
      store,
    });
    this.accountGate = createCounter({ name: "login-account-gate", points: 1, durationS: MAX_WAIT_S, store });
    this.addressFailures = createCounter({
      name: "login-address-failures",
      points: options.failuresPerAddress,
      durationS: ADDRESS_WINDOW_S,
      store,
    });
  }

  /**
   * Before checking a password: refuses with rate_limited (429, retryAfterS, "try again in N minutes") while the
   * account or the address must wait, else counts the attempt as a failure until `succeeded` says otherwise.
   */
  async begin(account: string, address: string): Promise<void> {
    // A cheap look first, so that attempts during a wait do not add to the counts.
    const [gate, fromAddress] = await Promise.all([
      this.accountGate.get(account).catch(() => null),
      this.addressFailures.get(address).catch(() => null),
    ]);
    if (gate && gate.consumedPoints >= 1) return this.refuse(gate.msBeforeNext);
    if (fromAddress && fromAddress.consumedPoints >= this.options.failuresPerAddress) {
      return this.refuse(fromAddress.msBeforeNext);
    }
    const [addressCount, accountCount] = await Promise.all([
      this.addressFailures.penalty(address).catch(() => null),
      this.accountFailures.penalty(account).catch(() => null),
    ]);
    if (addressCount && addressCount.consumedPoints > this.options.failuresPerAddress) {
      return this.refuse(addressCount.msBeforeNext);
    }
    const n = accountCount?.consumedPoints ?? 0;
    if (n < this.options.failuresPerAccount) return;
    try {
      await this.accountGate.consume(account);
    } catch (res) {
      if (res instanceof RateLimiterRes) return this.refuse(res.msBeforeNext);
      return; // the store failed without insurance: the address count still holds
    }
    await this.accountGate.block(account, Math.min(MAX_WAIT_S, 2 ** n)).catch(() => null);
  }

  /** Signed in: the account's and the address's failures are forgotten. */
  async succeeded(account: string, address: string): Promise<void> {
    await Promise.all([
      this.accountFailures.delete(account).catch(() => false),
      this.accountGate.delete(account).catch(() => false),
      this.addressFailures.delete(address).catch(() => false),
    ]);
  }

  private async refuse(msBeforeNext: number): Promise<never> {
    const retryAfterS = secondsFrom(msBeforeNext);
    rejected("rate_limited", "login");
    const delayMs = this.options.refusalDelayMs ?? REFUSAL_DELAY_MS;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    throw new AppError("rate_limited", `too many sign-in attempts; try again in ${inMinutes(retryAfterS)}`, {
      retryAfterS,
    });
  }
}

const KEY = Symbol.for("avatar-consult.login-throttle");
const holder = globalThis as typeof globalThis & { [KEY]?: LoginThrottle };

/** This process's login throttle (LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_IP; over Redis when configured). */
export function loginThrottle(): LoginThrottle {
  if (!holder[KEY]) {
    const e = env();
    holder[KEY] = new LoginThrottle({
      failuresPerAccount: e.LOGIN_FAILURES_PER_ACCOUNT,
      failuresPerAddress: e.LOGIN_FAILURES_PER_IP,
      store: limitStore(),
    });
  }
  return holder[KEY];
}

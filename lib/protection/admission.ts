import "server-only";
import { env } from "@/lib/config/env";
import { AppError } from "@/lib/errors";
import { rejected } from "@/lib/metrics";
import { RateLimiter } from "./rate-limiter";
import type { LimitStore } from "./store";

/** A busy client's wait: turns last seconds, and a new turn in a session cancels the one still speaking. */
const BUSY_RETRY_S = 3;
/** A client's wait while this process drains: behind a load balancer another process takes it sooner. */
const DRAINING_RETRY_S = 5;

export interface Ticket {
  /** Frees the turn's place; calling it again does nothing. */
  release(): void;
}

export interface AdmissionOptions {
  /** Turns one client address may start per minute (0: no limit). */
  turnsPerIp: number;
  /** Turns one session may start per minute (0: no limit). */
  turnsPerSession: number;
  /** Turns running at once in this process. */
  maxActive: number;
  /** Turns running at once in one session. */
  maxPerSession: number;
  /** Where the per-minute counters live; default: Redis when REDIS_URL is set, else memory (see store.ts). */
  store?: LimitStore;
}

export interface DrainResult {
  finished: number;
  abandoned: number;
}

/**
 * Decides whether a turn may start, in two steps so that a refused client costs little: `screen` before the request
 * body is read (shutting down, full, over the address's rate), `admit` once the session is known (the session's
 * rate and running turns), which hands out the Ticket that holds the turn's place until it ends.
 */
export class TurnAdmission {
  private active = 0;
  private readonly perSession = new Map<string, number>();
  private readonly ipRate: RateLimiter;
  private readonly sessionRate: RateLimiter;
  private draining = false;
  private readonly onIdle = new Set<() => void>();

  constructor(private readonly options: AdmissionOptions) {
    const { store } = options;
    this.ipRate = new RateLimiter({ name: "turns-ip", limit: options.turnsPerIp, route: "turns", store });
    this.sessionRate = new RateLimiter({
      name: "turns-session",
      limit: options.turnsPerSession,
      route: "turns",
      store,
    });
  }

  /** Throws rate_limited (429) or unavailable (503), both with retryAfterS, when the client should come back later. */
  async screen(ip: string): Promise<void> {
    this.refuseIfUnavailable();
    await this.ipRate.enforce(ip, "turns from this address");
  }

  /** A place for one turn, or rate_limited / unavailable as `screen`; without a session only the total applies. */
  async admit({ sessionId }: { sessionId?: string }): Promise<Ticket> {
    // The caps are checked before the session's rate (a refused turn spends none of it) and again after it, as other
    // turns may have taken places while the counter answered; the second check and the taking are one step.
    this.refuseIfFull(sessionId);
    if (sessionId !== undefined) await this.sessionRate.enforce(sessionId, "turns in this session");
    this.refuseIfFull(sessionId);
    if (sessionId !== undefined) this.perSession.set(sessionId, (this.perSession.get(sessionId) ?? 0) + 1);
    this.active += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.finish(sessionId);
      },
    };
  }

  /**
   * The turn's events, releasing its ticket when they end, fail, or the consumer returns early (a client that
   * disconnects). The release runs in the generator's `finally`, so the generator must be started (ndjsonResponse
   * pulls at once).
   */
  async *track<T>(ticket: Ticket, events: AsyncGenerator<T>): AsyncGenerator<T> {
    try {
      yield* events;
    } finally {
      ticket.release();
    }
  }

  get activeTurns(): number {
    return this.active;
  }

  /** True once shutdown began: health checks answer 503 so a load balancer sends new people elsewhere. */
  get isDraining(): boolean {
    return this.draining;
  }

  /** Stops admitting turns and waits until the running ones end, or `graceMs` passes. */
  async drain(graceMs: number): Promise<DrainResult> {
    this.draining = true;
    const running = this.active;
    if (running > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.onIdle.delete(done);
          resolve();
        };
        const timer = setTimeout(done, graceMs);
        this.onIdle.add(done);
      });
    }
    return { finished: running - this.active, abandoned: this.active };
  }

  private refuseIfFull(sessionId: string | undefined): void {
    this.refuseIfUnavailable();
    const running = sessionId === undefined ? 0 : (this.perSession.get(sessionId) ?? 0);
    if (running >= this.options.maxPerSession) {
      rejected("busy", "turns");
      throw new AppError(
        "unavailable",
        `busy: ${running} turns are running in this session, retry in ${BUSY_RETRY_S} s`,
        {
          retryAfterS: BUSY_RETRY_S,
        },
      );
    }
  }

  private refuseIfUnavailable(): void {
    if (this.draining) {
      rejected("shutting_down", "turns");
      throw new AppError("unavailable", `the server is shutting down, retry in ${DRAINING_RETRY_S} s`, {
        retryAfterS: DRAINING_RETRY_S,
      });
    }
    if (this.active >= this.options.maxActive) {
      rejected("busy", "turns");
      throw new AppError("unavailable", `busy: ${this.active} turns are running, retry in ${BUSY_RETRY_S} s`, {
        retryAfterS: BUSY_RETRY_S,
      });
    }
  }

  private finish(sessionId: string | undefined): void {
    this.active -= 1;
    if (sessionId !== undefined) {
      const left = (this.perSession.get(sessionId) ?? 1) - 1;
      if (left > 0) this.perSession.set(sessionId, left);
      else this.perSession.delete(sessionId);
    }
    if (this.active === 0) for (const done of this.onIdle) done();
  }
}

// One of each per process, kept on `globalThis`: Next evaluates this module separately for instrumentation and
// for route handlers, and the shutdown drain must see the turns the routes admitted.
const KEY = Symbol.for("avatar-consult.protection");
const shared = globalThis as typeof globalThis & { [KEY]?: { admission?: TurnAdmission; uploads?: RateLimiter } };
const holder = shared[KEY] ?? {};
shared[KEY] = holder;

export function turnAdmission(): TurnAdmission {
  if (!holder.admission) {
    const e = env();
    holder.admission = new TurnAdmission({
      turnsPerIp: e.RATE_LIMIT_TURNS_PER_IP,
      turnsPerSession: e.RATE_LIMIT_TURNS_PER_SESSION,
      maxActive: e.MAX_ACTIVE_TURNS,
      maxPerSession: e.MAX_TURNS_PER_SESSION,
    });
  }
  return holder.admission;
}

/** Knowledge-base upload requests per client address (`await uploadLimiter().enforce(ip, what)`). */
export function uploadLimiter(): RateLimiter {
  holder.uploads ??= new RateLimiter({ name: "uploads-ip", limit: env().RATE_LIMIT_UPLOADS_PER_IP, route: "uploads" });
  return holder.uploads;
}

import { afterEach, describe, expect, it, vi } from "vitest";
import { errorResponse } from "@/lib/http";
import { type AdmissionOptions, TurnAdmission } from "./admission";

const open: AdmissionOptions = {
  turnsPerIp: 0,
  turnsPerSession: 0,
  maxActive: 100,
  maxPerSession: 100,
  store: null,
};

afterEach(() => {
  vi.useRealTimers();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function* turn(events: number, everyMs = 0) {
  for (let i = 0; i < events; i++) {
    if (everyMs) await sleep(everyMs);
    yield i;
  }
}

async function* failing() {
  yield 0;
  throw new Error("engine crashed");
}

describe("TurnAdmission", () => {
  it("limits turns per address and per session, with retry-after", async () => {
    vi.useFakeTimers();
    const a = new TurnAdmission({ ...open, turnsPerIp: 2, turnsPerSession: 1 });
    await a.screen("1.1.1.1");
    await a.screen("1.1.1.1");
    await expect(a.screen("1.1.1.1")).rejects.toMatchObject({
      code: "rate_limited",
      retryAfterS: 60,
      message: expect.stringContaining("address"),
    });
    await a.screen("2.2.2.2");
    (await a.admit({ sessionId: "s" })).release();
    vi.advanceTimersByTime(20_000);
    await expect(a.admit({ sessionId: "s" })).rejects.toMatchObject({
      code: "rate_limited",
      retryAfterS: 40,
      message: expect.stringContaining("session"),
    });
    await a.admit({}); // no session: only the total applies
    vi.advanceTimersByTime(40_000);
    await a.admit({ sessionId: "s" });
    await a.screen("1.1.1.1");
  });

  it("caps turns running in total and per session: busy, retry in a few seconds", async () => {
    const a = new TurnAdmission({ ...open, maxActive: 3, maxPerSession: 2 });
    const t1 = await a.admit({ sessionId: "s" });
    await a.admit({ sessionId: "s" });
    await expect(a.admit({ sessionId: "s" })).rejects.toMatchObject({
      code: "unavailable",
      message: "busy: 2 turns are running in this session, retry in 3 s",
      retryAfterS: 3,
    });
    await a.admit({ sessionId: "other" });
    expect(a.activeTurns).toBe(3);
    for (const attempt of [() => a.admit({}), () => a.screen("1.1.1.1")]) {
      await expect(attempt()).rejects.toMatchObject({
        code: "unavailable",
        message: "busy: 3 turns are running, retry in 3 s",
      });
    }
    t1.release();
    t1.release(); // idempotent: frees one place only
    expect(a.activeTurns).toBe(2);
    await a.admit({ sessionId: "s" });
  });

  it("takes places one at a time even when admits overlap while the session's rate is counted", async () => {
    const a = new TurnAdmission({ ...open, turnsPerSession: 100, maxPerSession: 2 });
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => a.admit({ sessionId: "s" })));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "rejected"]);
    expect(a.activeTurns).toBe(2);
  });

  it("releases a tracked turn when it ends, fails, or its consumer returns early", async () => {
    const a = new TurnAdmission(open);
    const seen: number[] = [];
    for await (const ev of a.track(await a.admit({ sessionId: "s" }), turn(3))) seen.push(ev);
    expect(seen).toEqual([0, 1, 2]);
    expect(a.activeTurns).toBe(0);

    const crashing = a.track(await a.admit({ sessionId: "s" }), failing());
    await expect(async () => {
      for await (const _ of crashing);
    }).rejects.toThrow("engine crashed");
    expect(a.activeTurns).toBe(0);

    const left = a.track(await a.admit({ sessionId: "s" }), turn(10));
    await left.next();
    expect(a.activeTurns).toBe(1);
    await left.return(undefined); // what ndjsonResponse does when the client disconnects
    expect(a.activeTurns).toBe(0);
  });

  it("drain waits for a slow turn, refusing new ones with 503 and Retry-After meanwhile", async () => {
    const a = new TurnAdmission(open);
    const slow = a.track(await a.admit({ sessionId: "s" }), turn(4, 50));
    const consumed = (async () => {
      for await (const _ of slow);
    })();
    const t0 = performance.now();
    const drained = a.drain(5_000);
    await expect(a.screen("1.1.1.1")).rejects.toMatchObject({ code: "unavailable" });
    const refused = await a.admit({ sessionId: "t" }).then(
      () => undefined,
      (err: unknown) => errorResponse(err),
    );
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get("retry-after")).toBe("5");
    expect(await refused?.json()).toEqual({
      error: { code: "unavailable", message: "the server is shutting down, retry in 5 s", retryAfterS: 5 },
    });
    expect(await drained).toEqual({ finished: 1, abandoned: 0 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
    await consumed;
  });

  it("drain gives up on turns still running after the grace period", async () => {
    const a = new TurnAdmission(open);
    await a.admit({});
    const t0 = performance.now();
    expect(await a.drain(100)).toEqual({ finished: 0, abandoned: 1 });
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(await new TurnAdmission(open).drain(60_000)).toEqual({ finished: 0, abandoned: 0 }); // idle: at once
  });
});

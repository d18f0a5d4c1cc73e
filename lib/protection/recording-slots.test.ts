import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { errorResponse } from "@/lib/http";
import { TestRedisServer } from "@/lib/testing/redis-server";
import { holdSlotUntil, RecordingSlots } from "./recording-slots";

describe("RecordingSlots in one process", () => {
  it("gives each address its share at once, refuses more with 429 and Retry-After, and frees on release", async () => {
    const slots = new RecordingSlots({ perAddress: 2, store: null });
    const a1 = await slots.acquire("198.51.100.1");
    await slots.acquire("198.51.100.1");
    const refused = await slots.acquire("198.51.100.1").then(
      () => null,
      (err: unknown) => errorResponse(err),
    );
    expect(refused?.status).toBe(429);
    expect(refused?.headers.get("retry-after")).toBe("5");
    expect(await refused?.json()).toMatchObject({
      error: { code: "rate_limited", message: expect.stringContaining("too many recordings from this address") },
    });
    await slots.acquire("198.51.100.2"); // other people are not affected
    a1.release();
    a1.release(); // idempotent: frees one place only
    expect(slots.heldLocally("198.51.100.1")).toBe(1);
    await slots.acquire("198.51.100.1");
    await expect(slots.acquire("198.51.100.1")).rejects.toMatchObject({ code: "rate_limited" });
  });

  it("holdSlotUntil frees the slot at the transcript, or when the turn ends or its reader leaves", async () => {
    const slots = new RecordingSlots({ perAddress: 1, store: null });
    async function* turn() {
      yield "turn";
      yield "transcript";
      yield "text";
    }
    const events = holdSlotUntil(await slots.acquire("a"), turn(), (e) => e === "transcript");
    expect((await events.next()).value).toBe("turn");
    expect(slots.heldLocally("a")).toBe(1);
    expect((await events.next()).value).toBe("transcript");
    expect(slots.heldLocally("a")).toBe(0);
    await events.return(undefined);

    const left = holdSlotUntil(await slots.acquire("a"), turn(), () => false);
    await left.next();
    await left.return(undefined); // the client disconnected before the transcript
    expect(slots.heldLocally("a")).toBe(0);
  });
});

describe("RecordingSlots over Redis (real redis-server)", () => {
  let server: TestRedisServer;
  const connections: Redis[] = [];
  const connect = async () => {
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    redis.on("error", () => {});
    connections.push(redis);
    if (redis.status !== "ready") await new Promise((r) => redis.once("ready", r));
    return redis;
  };

  beforeAll(async () => {
    server = await TestRedisServer.start();
  });
  afterAll(async () => {
    for (const c of connections) c.disconnect();
    await server?.stop();
  });

  it("two web processes share one address's slots", async () => {
    const web1 = new RecordingSlots({ perAddress: 3, store: await connect() });
    const web2 = new RecordingSlots({ perAddress: 3, store: await connect() });
    const held = [
      await web1.acquire("203.0.113.5"),
      await web2.acquire("203.0.113.5"),
      await web1.acquire("203.0.113.5"),
    ];
    await expect(web2.acquire("203.0.113.5")).rejects.toMatchObject({ code: "rate_limited", retryAfterS: 5 });
    await web2.acquire("203.0.113.6");
    held[0]?.release();
    await vi.waitFor(() => expect(web2.acquire("203.0.113.5")).resolves.toBeDefined());
    expect(web1.heldLocally("203.0.113.5") + web2.heldLocally("203.0.113.5")).toBe(0); // all in Redis
  });

  it("a slot whose process died without releasing it comes back when its lease runs out", async () => {
    const redis = await connect();
    const dying = new RecordingSlots({ perAddress: 1, store: redis, leaseMs: 300 });
    await dying.acquire("203.0.113.7"); // never released
    const other = new RecordingSlots({ perAddress: 1, store: redis, leaseMs: 300 });
    await expect(other.acquire("203.0.113.7")).rejects.toMatchObject({ code: "rate_limited" });
    await vi.waitFor(() => expect(other.acquire("203.0.113.7")).resolves.toBeDefined(), { timeout: 3_000 });
  });

  it("counts in the process while Redis is away", async () => {
    const redis = await connect();
    const slots = new RecordingSlots({ perAddress: 1, store: redis });
    await server.stop();
    try {
      await vi.waitFor(() => expect(redis.status).not.toBe("ready"));
      const slot = await slots.acquire("203.0.113.8");
      expect(slots.heldLocally("203.0.113.8")).toBe(1);
      await expect(slots.acquire("203.0.113.8")).rejects.toMatchObject({ code: "rate_limited" });
      slot.release();
      expect(slots.heldLocally("203.0.113.8")).toBe(0);
    } finally {
      await server.resume();
    }
  });
});

import "server-only";
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { env } from "@/lib/config/env";
import { AppError } from "@/lib/errors";
import { rejected } from "@/lib/metrics";
import { type LimitStore, limitStore } from "./store";

/** A refused recording waits for one of the address's own to end: recognition takes seconds. */
const RETRY_AFTER_S = 5;
/**
 * How long a slot in Redis outlives a web process that died holding it. Longer than any recording may hold one
 * (a live recording is closed past MAX_QUESTION_SECONDS of audio or 30 s idle, recognition by ASR_DEADLINE_MS).
 */
const LEASE_MS = 5 * 60_000;

export interface RecordingSlot {
  /** Frees the place; calling it again does nothing. */
  release(): void;
}

export interface RecordingSlotsOptions {
  /** Recordings one address may have being recorded live or recognised at once (MAX_RECORDINGS_PER_IP). */
  perAddress: number;
  /** Redis to share the count between web processes, or null to count in this process. */
  store: LimitStore;
  leaseMs?: number;
}

// Leases in a sorted set per address, scored by expiry on Redis's own clock (hosts' clocks may differ). Expired
// leases (a process that died holding them) are dropped first; then a place is taken if one is free.
// Answers the count held after taking a place, or minus the count held when none was free.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZCARD', KEYS[1])
if held >= tonumber(ARGV[1]) then return -held end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return held + 1
`;

/**
 * Fair shares of speech recognition: each client address may hold at most `perAddress` recordings at once, counting
 * live recordings (opened by POST .../speech, held until the turn takes them, they are cancelled or they expire) and
 * uploaded recordings being recognised (held by the turn route from before the body is read until the transcript is
 * known). One address can then no longer take every recogniser while other people's questions fail.
 *
 * `await acquire(address)` answers a slot to `release()` exactly when the recording is done with (release is
 * idempotent), or throws rate_limited (429, Retry-After). With REDIS_URL the count is shared by every web process;
 * while Redis is away each process counts on its own.
 */
export class RecordingSlots {
  private readonly local = new Map<string, number>();
  private readonly leaseMs: number;

  constructor(private readonly options: RecordingSlotsOptions) {
    this.leaseMs = options.leaseMs ?? LEASE_MS;
  }

  async acquire(address: string): Promise<RecordingSlot> {
    const redis = this.options.store;
    if (redis?.status === "ready") {
      const key = `avatar:slots:recordings:${address}`;
      const id = randomUUID();
      const held = await (
        redis.eval(ACQUIRE, 1, key, this.options.perAddress, this.leaseMs, id) as Promise<number>
      ).catch(
        () => null, // Redis failed mid-call: count here instead
      );
      if (held !== null) {
        if (held <= 0) this.refuse(-held);
        return once(() => {
          (redis as Redis).zrem(key, id).catch(() => undefined); // else the lease expires by itself
        });
      }
    }
    return this.acquireLocal(address);
  }

  /** Slots this process holds for `address` outside Redis (tests and health). */
  heldLocally(address: string): number {
    return this.local.get(address) ?? 0;
  }

  private acquireLocal(address: string): RecordingSlot {
    const held = this.local.get(address) ?? 0;
    if (held >= this.options.perAddress) this.refuse(held);
    this.local.set(address, held + 1);
    return once(() => {
      const left = (this.local.get(address) ?? 1) - 1;
      if (left > 0) this.local.set(address, left);
      else this.local.delete(address);
    });
  }

  private refuse(held: number): never {
    rejected("busy", "recordings");
    throw new AppError(
      "rate_limited",
      `too many recordings from this address at once (${held} are being recognised); wait for one to finish and ` +
        `retry in ${RETRY_AFTER_S} s`,
      { retryAfterS: RETRY_AFTER_S },
    );
  }
}

function once(release: () => void): RecordingSlot {
  let done = false;
  return {
    release: () => {
      if (done) return;
      done = true;
      release();
    },
  };
}

const KEY = Symbol.for("avatar-consult.recording-slots");
const holder = globalThis as typeof globalThis & { [KEY]?: RecordingSlots };

/** This process's recording slots (MAX_RECORDINGS_PER_IP per address, shared over Redis when REDIS_URL is set). */
export function recordingSlots(): RecordingSlots {
  holder[KEY] ??= new RecordingSlots({ perAddress: env().MAX_RECORDINGS_PER_IP, store: limitStore() });
  return holder[KEY];
}

/**
 * The events of a turn that holds `slot`, releasing it at the first event `done` accepts (the transcript: the
 * recording is recognised), or when the events end, fail, or the consumer returns early, whichever comes first.
 */
export async function* holdSlotUntil<T>(
  slot: RecordingSlot,
  events: AsyncIterable<T>,
  done: (event: T) => boolean,
): AsyncGenerator<T> {
  try {
    for await (const event of events) {
      if (done(event)) slot.release();
      yield event;
    }
  } finally {
    slot.release();
  }
}

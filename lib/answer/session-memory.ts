import "server-only";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ConversationTurn } from "./types";

export interface SessionState {
  turns: ConversationTurn[];
  /** The persona's disclaimer is said once per session. */
  disclaimerGiven: boolean;
}

/** Conversation memory per session, for follow-up questions. */
export interface SessionMemory {
  load(sessionId: string): Promise<SessionState>;
  save(sessionId: string, state: SessionState): Promise<void>;
}

const MAX_TURNS = 12;

function trim(state: SessionState): SessionState {
  return { ...state, turns: state.turns.slice(-MAX_TURNS) };
}

const fresh = (): SessionState => ({ turns: [], disclaimerGiven: false });

/** One process's sessions, least recently used evicted first. */
export class InMemorySessionMemory implements SessionMemory {
  private readonly sessions = new Map<string, SessionState>();
  constructor(private readonly capacity = 10_000) {}

  async load(sessionId: string): Promise<SessionState> {
    return structuredClone(this.sessions.get(sessionId) ?? fresh());
  }

  async save(sessionId: string, state: SessionState): Promise<void> {
    this.sessions.delete(sessionId);
    this.sessions.set(sessionId, trim(state));
    while (this.sessions.size > this.capacity) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
  }
}

/** Sessions as JSON files, so `npm run ask -- --session S` remembers across invocations. */
export class FileSessionMemory implements SessionMemory {
  constructor(private readonly dir: string) {}

  private file(sessionId: string): string {
    return path.join(this.dir, `${sessionId.replace(/[^\w-]/g, "_")}.json`);
  }

  async load(sessionId: string): Promise<SessionState> {
    const raw = await readFile(this.file(sessionId), "utf8").catch(() => null);
    if (!raw) return fresh();
    try {
      return { ...fresh(), ...JSON.parse(raw) };
    } catch {
      return fresh(); // a damaged session file must not block the next question
    }
  }

  async save(sessionId: string, state: SessionState): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.file(sessionId), JSON.stringify(trim(state)));
  }
}

/** Redis's part of what session memory needs (an ioredis client). */
export interface RedisLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: "EX", seconds: number): Promise<unknown>;
}

/**
 * Sessions in Redis, so any web process behind a load balancer can take a session's next question. While Redis is
 * away a question is answered without its history rather than not at all.
 */
export class RedisSessionMemory implements SessionMemory {
  constructor(
    private readonly redis: RedisLike,
    private readonly ttlSeconds = 24 * 3600,
  ) {}

  private key(sessionId: string): string {
    return `avatar:session:${sessionId}`;
  }

  async load(sessionId: string): Promise<SessionState> {
    try {
      const raw = await this.redis.get(this.key(sessionId));
      return raw ? { ...fresh(), ...JSON.parse(raw) } : fresh();
    } catch (err) {
      console.warn(`[session] ${sessionId}: history unavailable (${(err as Error).message})`);
      return fresh();
    }
  }

  async save(sessionId: string, state: SessionState): Promise<void> {
    await this.redis
      .set(this.key(sessionId), JSON.stringify(trim(state)), "EX", this.ttlSeconds)
      .catch((err: Error) => console.warn(`[session] ${sessionId}: not saved (${err.message})`));
  }
}

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Conversation ids the server issues: 24 random bytes and a MAC over them, so a client can only continue a
 * session it was given. A session id lets its holder cancel the answer being spoken, spend the session's turn
 * budget and (with a language model) have its history read into answers: it must not be guessable or chosen.
 * Stateless, so every web process that shares the secret accepts every other's ids.
 */
export class SessionIds {
  constructor(private readonly secret: string) {
    if (secret.length < 32) throw new Error("the session-id secret must be at least 32 characters");
  }

  issue(): string {
    const id = randomBytes(24).toString("base64url");
    return `${id}_${this.mac(id)}`;
  }

  /** Whether this server issued `sessionId` (the regex also keeps odd input away from the MAC). */
  verify(sessionId: string): boolean {
    const m = /^([\w-]{32})_([\w-]{22})$/.exec(sessionId);
    if (!m) return false;
    const expected = Buffer.from(this.mac(m[1]!));
    const given = Buffer.from(m[2]!);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /** The session a request may continue: the one it named when this server issued it, else a new one. */
  continueOrIssue(sessionId: string | undefined): { sessionId: string; issued: boolean } {
    if (sessionId && this.verify(sessionId)) return { sessionId, issued: false };
    return { sessionId: this.issue(), issued: true };
  }

  private mac(id: string): string {
    return createHmac("sha256", this.secret).update(`session:${id}`).digest().subarray(0, 16).toString("base64url");
  }
}

/**
 * Leak detection. Each typed question carries a token unique to its turn; the transcript echoes the question, so the
 * token must come back in that turn's stream and in no other. Tokens are looked up exactly (not pattern-matched), so
 * base64 audio that happens to contain "zq" never counts as a leak.
 */
export type LeakKind =
  | "session_mismatch" // the turn event names another session
  | "foreign_token" // another session's question token in this stream
  | "stale_token" // an earlier turn's token (same session) in this stream
  | "transcript_mismatch" // the transcript does not carry this turn's token
  | "transcript_missing"; // a finished turn without a transcript event

const PREFIX = "zq";
const SEQ_DIGITS = 6;

export class TokenRegistry {
  private readonly owners = new Map<string, string>();
  private seq = 0;
  private readonly length: number;

  /** `runId`: lowercase base36, so tokens stay one word through any tokenizer and differ between runs. */
  constructor(private readonly runId: string) {
    this.length = PREFIX.length + runId.length + SEQ_DIGITS;
  }

  /** A fresh token owned by `sessionId`, registered before it is sent so every other stream can spot it. */
  issue(sessionId: string): string {
    const token = `${PREFIX}${this.runId}${(this.seq++).toString(36).padStart(SEQ_DIGITS, "0")}`;
    this.owners.set(token, sessionId);
    return token;
  }

  /** Leaks in one raw stream line of `sessionId`'s turn whose own token is `own` (none for spoken turns). */
  scan(line: string, sessionId: string, own: string | undefined): LeakKind[] {
    const found: LeakKind[] = [];
    for (let at = line.indexOf(PREFIX); at >= 0; at = line.indexOf(PREFIX, at + 1)) {
      const token = line.slice(at, at + this.length);
      const owner = this.owners.get(token);
      if (owner === undefined || token === own) continue;
      found.push(owner === sessionId ? "stale_token" : "foreign_token");
    }
    return found;
  }
}

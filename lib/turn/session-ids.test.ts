import { describe, expect, it } from "vitest";
import { SessionIds } from "./session-ids";

describe("SessionIds", () => {
  const ids = new SessionIds("s".repeat(40));

  it("accepts the ids it issued, each different and shaped like a turn request's sessionId", () => {
    const a = ids.issue();
    const b = ids.issue();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[\w-]{1,64}$/);
    expect(ids.verify(a)).toBe(true);
    expect(ids.continueOrIssue(a)).toEqual({ sessionId: a, issued: false });
  });

  it("refuses ids a client chose, altered ones and ones another secret signed, issuing a new session instead", () => {
    const real = ids.issue();
    const tampered = `${real.slice(0, 5)}${real[5] === "A" ? "B" : "A"}${real.slice(6)}`;
    const foreign = new SessionIds("f".repeat(40)).issue();
    for (const chosen of ["s1", "lt-run-1", tampered, foreign, `${real}x`, ""]) {
      expect(ids.verify(chosen)).toBe(false);
      const next = ids.continueOrIssue(chosen);
      expect(next.issued).toBe(true);
      expect(next.sessionId).not.toBe(chosen);
      expect(ids.verify(next.sessionId)).toBe(true);
    }
  });
});

import { unstable_doesMiddlewareMatch } from "next/experimental/testing/server";
import { describe, expect, it } from "vitest";
import { config } from "@/proxy";

/**
 * The proxy must not see /api/kb: Next copies a proxied request's body aside and cuts it at 10 MB, so uploads over
 * 10 MB failed, and anonymous bodies were buffered before any refusal. The admin pages stay behind it.
 */
describe("proxy matcher", () => {
  it("covers the admin pages but not the knowledge-base API", () => {
    const matches = (path: string) => unstable_doesMiddlewareMatch({ config, url: `http://localhost:3000${path}` });
    for (const path of ["/admin", "/admin/triage", "/admin/login"]) expect(matches(path), path).toBe(true);
    for (const path of ["/api/kb/triage/documents", "/api/kb/triage/documents/x.md", "/api/kb/triage/reindex"]) {
      expect(matches(path), path).toBe(false);
    }
    expect(JSON.stringify(config.matcher)).not.toContain("/api");
  });
});

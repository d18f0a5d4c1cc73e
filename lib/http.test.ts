import { describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/errors";
import { errorResponse, readBodyWithLimit } from "@/lib/http";

/** A request whose body streams 64 KB chunks forever, without Content-Length; counts what was pulled. */
function endlessRequest() {
  const pulled = { bytes: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled.bytes += 65_536;
      controller.enqueue(new Uint8Array(65_536));
    },
    cancel() {
      pulled.cancelled = true;
    },
  });
  const req = new Request("http://localhost/x", { method: "POST", body, duplex: "half" } as RequestInit);
  return { req, pulled };
}

describe("readBodyWithLimit", () => {
  it("returns a body within the limit whole", async () => {
    const req = new Request("http://localhost/x", { method: "POST", body: "hello" });
    expect(new TextDecoder().decode(await readBodyWithLimit(req, 5, "too big"))).toBe("hello");
    expect(await readBodyWithLimit(new Request("http://localhost/x"), 5, "too big")).toHaveLength(0);
  });

  it("refuses a declared Content-Length over the limit before reading", async () => {
    const req = new Request("http://localhost/x", { method: "POST", body: "x", headers: { "content-length": "99" } });
    await expect(readBodyWithLimit(req, 10, "too big")).rejects.toMatchObject({ code: "payload_too_large" });
    expect(req.bodyUsed).toBe(false);
  });

  it("stops reading a body streamed without Content-Length at the limit", async () => {
    const { req, pulled } = endlessRequest();
    await expect(readBodyWithLimit(req, 1_000_000, "the recording is over 1 MB")).rejects.toEqual(
      new AppError("payload_too_large", "the recording is over 1 MB"),
    );
    expect(pulled.bytes).toBeLessThan(1_000_000 + 4 * 65_536);
    await new Promise((r) => setTimeout(r, 10));
    expect(pulled.cancelled).toBe(true);
  });
});

describe("errorResponse", () => {
  it("adds Retry-After and retryAfterS when the error says when to come back", async () => {
    const res = errorResponse(new AppError("rate_limited", "too many turns", { retryAfterS: 12 }));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("12");
    expect(await res.json()).toEqual({ error: { code: "rate_limited", message: "too many turns", retryAfterS: 12 } });
  });

  it("keeps other errors as they were", async () => {
    const res = errorResponse(new AppError("not_found", "no such document"));
    expect(res.headers.get("retry-after")).toBeNull();
    expect(await res.json()).toEqual({ error: { code: "not_found", message: "no such document" } });
  });
});

describe("errorResponse and internal errors", () => {
  it("sends a generic message with an error id for internal errors, and logs the details under that id", async () => {
    const logged: unknown[][] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
      logged.push(args);
    });
    try {
      const res = errorResponse(new Error("lance error: Not found: /srv/avatar/data/lancedb/kb_triage.lance/x"));
      expect(res.status).toBe(500);
      const { error } = await res.json();
      expect(error.code).toBe("internal");
      expect(error.message).not.toContain("/srv");
      const id = /\(error (\w+)\)/.exec(error.message)?.[1];
      expect(id).toBeTruthy();
      expect(String(logged[0]?.[0])).toContain(id);
      expect(String(logged[0]?.[1])).toContain("/srv/avatar");
    } finally {
      spy.mockRestore();
    }
  });

  it("keeps a client fault's own clear message", async () => {
    const res = errorResponse(new AppError("bad_request", "sessionId must be 1-64 letters"));
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toBe("sessionId must be 1-64 letters");
  });
});

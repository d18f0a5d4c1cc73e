import { describe, expect, it } from "vitest";
import { errorResponse } from "@/lib/http";
import { UploadSlots } from "./upload-slots";

describe("UploadSlots", () => {
  it("bounds uploads per admin (429) and in total (503), both with Retry-After, and frees places once", async () => {
    const slots = new UploadSlots({ perAdmin: 2, total: 3 });
    const a1 = slots.acquire("a@x");
    slots.acquire("a@x");
    const own = (() => {
      try {
        slots.acquire("a@x");
      } catch (err) {
        return errorResponse(err);
      }
      throw new Error("a third upload of one admin was let in");
    })();
    expect(own.status).toBe(429);
    expect(own.headers.get("retry-after")).toBe("10");
    expect((await own.json()).error.message).toContain("2 uploads in progress");

    slots.acquire("b@x");
    expect(slots.inFlight).toBe(3);
    expect(() => slots.acquire("c@x")).toThrow(
      expect.objectContaining({ code: "unavailable", retryAfterS: 10, message: expect.stringContaining("3 uploads") }),
    );

    a1.release();
    a1.release(); // idempotent
    expect(slots.inFlight).toBe(2);
    slots.acquire("c@x");
    expect(() => slots.acquire("a@x")).toThrow(expect.objectContaining({ code: "unavailable" }));
  });
});

import { describe, expect, it } from "vitest";
import { percentile, summarize } from "./stats";

describe("percentile", () => {
  it("takes the nearest rank, whatever the input order", () => {
    const xs = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 95)).toBe(10);
    expect(percentile(xs, 10)).toBe(1);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 100)).toBe(10);
  });

  it("reports a real sample, not an interpolation", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([100, 200], 50)).toBe(100);
  });

  it("is NaN with no samples", () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("summarize", () => {
  it("gives count, p50/p95/p99 and max", () => {
    const xs = Array.from({ length: 200 }, (_, i) => 200 - i);
    expect(summarize(xs)).toEqual({ n: 200, p50: 100, p95: 190, p99: 198, max: 200 });
  });

  it("leaves an empty column empty", () => {
    const s = summarize([]);
    expect(s.n).toBe(0);
    expect(s.p50).toBeNaN();
    expect(s.max).toBeNaN();
  });
});

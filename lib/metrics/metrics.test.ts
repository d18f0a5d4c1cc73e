import { readFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

type MetricsModule = typeof import("./index");

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Samples of one metric whose labels include `labels`. */
function find(text: string, name: string, labels: Record<string, string> = {}): Sample[] {
  return parse(text).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = find(text, name, labels);
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0]?.value;
}

const KEY = Symbol.for("avatar-consult.metrics");
const timings = { asrMs: 0, retrieveMs: 12, firstTextMs: 80, firstAudioMs: 420, firstVideoMs: 450, totalMs: 2400 };

describe("metrics", () => {
  let m: MetricsModule;
  beforeEach(async () => {
    // A fresh registry per test: drop the process-wide one and load the module anew.
    delete (globalThis as Record<symbol, unknown>)[KEY];
    vi.resetModules();
    m = await import("./index");
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("records turn stages, skipping those that did not happen, in the right bucket", async () => {
    m.observeTurn("triage", "text", { timings, cancelled: false });
    m.observeTurn("triage", "text", { timings: { ...timings, firstAudioMs: 0 }, cancelled: true });
    const text = await m.metricsText();
    const stage = (s: string) => ({ stage: s, persona: "triage", kind: "text" });

    expect(find(text, "avatar_turn_stage_seconds_count", stage("asr"))).toEqual([]);
    expect(value(text, "avatar_turn_stage_seconds_count", stage("first_audio"))).toBe(1);
    expect(value(text, "avatar_turn_stage_seconds_sum", stage("first_audio"))).toBeCloseTo(0.42);
    expect(value(text, "avatar_turn_stage_seconds_bucket", { ...stage("first_audio"), le: "0.25" })).toBe(0);
    expect(value(text, "avatar_turn_stage_seconds_bucket", { ...stage("first_audio"), le: "0.5" })).toBe(1);
    expect(value(text, "avatar_turn_stage_seconds_count", stage("total"))).toBe(2);
    expect(value(text, "avatar_turn_stage_seconds_bucket", { ...stage("retrieve"), le: "0.005" })).toBe(0);
    expect(value(text, "avatar_turn_stage_seconds_bucket", { ...stage("retrieve"), le: "0.025" })).toBe(2);

    expect(value(text, "avatar_turns_total", { persona: "triage", kind: "text", outcome: "ok" })).toBe(1);
    expect(value(text, "avatar_turns_total", { persona: "triage", kind: "text", outcome: "cancelled" })).toBe(1);
  });

  it("counts failed turns, errors, degradations, rejections, jobs and batches", async () => {
    m.turnFailed("support", "asr_timeout");
    m.countError("asr_timeout");
    m.degraded("tts_failed");
    m.rejected("busy", "turns");
    m.observeQueueWait("media", 30);
    m.observeJob("media", "tts", 150, "ok");
    m.observeJob("media", "tts", 90, "retried");
    m.observeBatch("lipsync", 3);
    const text = await m.metricsText();

    expect(value(text, "avatar_turns_total", { persona: "support", outcome: "error" })).toBe(1);
    expect(value(text, "avatar_errors_total", { kind: "asr_timeout" })).toBe(2);
    expect(value(text, "avatar_degradations_total", { kind: "tts_failed" })).toBe(1);
    expect(value(text, "avatar_rejected_requests_total", { reason: "busy", route: "turns" })).toBe(1);
    expect(value(text, "avatar_queue_wait_seconds_bucket", { queue: "media", le: "0.05" })).toBe(1);
    expect(value(text, "avatar_queue_wait_seconds_bucket", { queue: "media", le: "0.025" })).toBe(0);
    expect(value(text, "avatar_job_seconds_count", { queue: "media", kind: "tts" })).toBe(2);
    expect(value(text, "avatar_jobs_total", { queue: "media", kind: "tts", outcome: "retried" })).toBe(1);
    expect(value(text, "avatar_batch_size_bucket", { stage: "lipsync", le: "2" })).toBe(0);
    expect(value(text, "avatar_batch_size_bucket", { stage: "lipsync", le: "3" })).toBe(1);
    expect(text).toContain("avatar_process_cpu_seconds_total");
  });

  it("tracks active turns; end() is idempotent and never goes negative", async () => {
    const end = m.turnStarted("triage", "s1");
    expect(value(await m.metricsText(), "avatar_active_turns", { persona: "triage" })).toBe(1);
    end();
    end();
    expect(value(await m.metricsText(), "avatar_active_turns", { persona: "triage" })).toBe(0);
  });

  it("counts distinct sessions seen in the last five minutes", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2025-01-01T00:00:00Z"));
    m.turnStarted("triage", "a")();
    m.turnStarted("triage", "b")();
    vi.setSystemTime(new Date("2025-01-01T00:03:00Z"));
    m.turnStarted("support", "a")();
    m.turnStarted("support", "c")();
    expect(value(await m.metricsText(), "avatar_active_sessions")).toBe(3);

    // b was last seen six minutes ago; a was seen again at 00:03.
    vi.setSystemTime(new Date("2025-01-01T00:06:00Z"));
    expect(value(await m.metricsText(), "avatar_active_sessions")).toBe(2);
    vi.setSystemTime(new Date("2025-01-01T00:09:00Z"));
    expect(value(await m.metricsText(), "avatar_active_sessions")).toBe(0);
  });

  it("fills queue depth from the provider and marks the queue down when it throws", async () => {
    const provider = vi.fn(async () => [{ queue: "media", waiting: 4, active: 2, failed: 1 }]);
    m.setQueueStatsProvider(provider);
    let text = await m.metricsText();
    expect(provider).toHaveBeenCalledTimes(1);
    expect(value(text, "avatar_queue_depth", { queue: "media", state: "waiting" })).toBe(4);
    expect(value(text, "avatar_queue_depth", { queue: "media", state: "active" })).toBe(2);
    expect(value(text, "avatar_queue_depth", { queue: "media", state: "failed" })).toBe(1);
    expect(find(text, "avatar_queue_depth", { state: "delayed" })).toEqual([]);
    expect(value(text, "avatar_dependency_up", { dependency: "queue" })).toBe(1);

    m.setQueueStatsProvider(async () => {
      throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
    });
    text = await m.metricsText();
    expect(value(text, "avatar_dependency_up", { dependency: "queue" })).toBe(0);
    expect(find(text, "avatar_queue_depth")).toEqual([]);
  });

  it("marks the queue down when its provider hangs, rather than hanging the scrape", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    m.setQueueStatsProvider(() => new Promise(() => {}));
    const scrape = m.metricsText();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(value(await scrape, "avatar_dependency_up", { dependency: "queue" })).toBe(0);
  });

  it("reports workers up by kind, including kinds with none up", async () => {
    m.setWorkerStatusProvider(() => [
      { kind: "media", id: "m1", up: true },
      { kind: "media", id: "m2", up: false },
      { kind: "llm", id: "l1", up: false },
    ]);
    const text = await m.metricsText();
    expect(value(text, "avatar_worker_up", { kind: "media", id: "m1" })).toBe(1);
    expect(value(text, "avatar_worker_up", { kind: "media", id: "m2" })).toBe(0);
    expect(value(text, "avatar_workers", { kind: "media" })).toBe(1);
    expect(value(text, "avatar_workers", { kind: "llm" })).toBe(0);
  });

  it("sets dependency state", async () => {
    m.setDependency("lancedb", true);
    m.setDependency("llm", false);
    const text = await m.metricsText();
    expect(value(text, "avatar_dependency_up", { dependency: "lancedb" })).toBe(1);
    expect(value(text, "avatar_dependency_up", { dependency: "llm" })).toBe(0);
    expect(m.METRICS_CONTENT_TYPE).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("loads twice without registering a metric twice, sharing one registry", async () => {
    m.degraded("media_deadline");
    vi.resetModules();
    const again: MetricsModule = await import("./index");
    again.degraded("media_deadline");
    expect(value(await again.metricsText(), "avatar_degradations_total", { kind: "media_deadline" })).toBe(2);
  });

  it("has a Grafana dashboard whose queries use only metrics this module registers", async () => {
    const dashboard = JSON.parse(await readFile(new URL("./grafana-dashboard.json", import.meta.url), "utf8"));
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.__inputs.map((i: { name: string }) => i.name)).toEqual(["DS_PROMETHEUS"]);

    const registered = new Set<string>();
    for (const [, name, type] of (await m.metricsText()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      registered.add(name!);
      if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) registered.add(name + suffix);
    }
    const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) =>
      p.targets.map((t) => t.expr),
    );
    expect(exprs.length).toBeGreaterThanOrEqual(17);
    for (const expr of exprs) {
      const names = expr.match(/\bavatar_\w+/g) ?? [];
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) expect(registered, `${name} in ${expr}`).toContain(name);
    }
    for (const needed of ['stage="first_audio"', "avatar_process_resident_memory_bytes", "avatar_batch_size_bucket"]) {
      expect(
        exprs.some((e) => e.includes(needed)),
        needed,
      ).toBe(true);
    }
  });
});

/**
 * `npm run bench:login`: what a flood of wrong passwords does to everyone else. The bar (security hardening issue):
 * during 300 wrong passwords, 16 at a time, /api/health and a typed turn's first byte stay within 2x of idle.
 *
 * In process (default): a loopback HTTP endpoint standing in for /api/health is timed, with the event loop's delay
 * (how late a 1 ms timer fires), idle and while the flood goes through the real check (`verifyAdminCredentials`),
 * once with bcryptjs (the old check, on the event loop), once with @node-rs/bcrypt (libuv's thread pool) and once
 * with @node-rs/bcrypt behind the login throttle (the shipped path: one account, one address). A file read is timed
 * too: it needs a thread of libuv's pool, which the hashes share.
 *
 * Against a running server (`--url http://localhost:3000`, e.g. `npm start` on a scratch DATA_DIR): GET /api/health
 * and a typed turn's first byte, idle and while the flood posts to /api/auth/callback/credentials (CSRF token first,
 * as any script would). `--rotate` gives each attempt its own e-mail (a guesser spreading over accounts).
 *
 * Options: --attempts 300 --parallel 16 --cost 10 (bcrypt cost of the in-process hash) --persona support
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { hashSync } from "@node-rs/bcrypt";
import bcryptjs from "bcryptjs";
import { bcryptCheck, type PasswordCheck, verifyAdminCredentials } from "@/lib/auth/credentials";
import { LoginThrottle } from "@/lib/auth/throttle";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const ATTEMPTS = Number(arg("attempts", "300"));
const PARALLEL = Number(arg("parallel", "16"));
const COST = Number(arg("cost", "10"));
const URL_ARG = arg("url", "");
const PERSONA = arg("persona", "support");
const ROTATE = process.argv.includes("--rotate");
const IDLE_MS = 3_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : "-");

/** Runs `count` jobs, `parallel` at a time. */
async function pool(count: number, parallel: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

interface Probe {
  name: string;
  /** One measurement in ms. */
  once: () => Promise<number>;
  everyMs: number;
}

interface Phase {
  probes: Record<string, number[]>;
  loopDelay: { p50: number; p99: number; max: number };
  floodMs: number;
}

/** Probes run over and over while `work` runs (or for IDLE_MS when there is none); the event loop is watched. */
async function phase(probes: Probe[], work: (() => Promise<unknown>) | null): Promise<Phase> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const results: Record<string, number[]> = Object.fromEntries(probes.map((p) => [p.name, []]));
  let running = true;
  const probing = probes.map(async (p) => {
    while (running) {
      results[p.name]?.push(await p.once().catch(() => Number.NaN));
      await sleep(p.everyMs);
    }
  });
  const t0 = performance.now();
  if (work) await work();
  else await sleep(IDLE_MS);
  const floodMs = performance.now() - t0;
  running = false;
  await Promise.all(probing);
  loop.disable();
  const toMs = (ns: number) => ns / 1e6;
  return {
    probes: results,
    loopDelay: { p50: toMs(loop.percentile(50)), p99: toMs(loop.percentile(99)), max: toMs(loop.max) },
    floodMs: work ? floodMs : 0,
  };
}

/** `loop`: print this process's event-loop delay (in process it is the server's; against a server it is not). */
function report(label: string, p: Phase, idle?: Phase, loop = true): void {
  const parts = Object.entries(p.probes).map(([name, values]) => {
    const ok = values.filter(Number.isFinite);
    const p50 = pct(ok, 50);
    const base = idle ? pct((idle.probes[name] ?? []).filter(Number.isFinite), 50) : Number.NaN;
    const ratio = idle && Number.isFinite(base) && base > 0 ? ` (${(p50 / base).toFixed(1)}x idle)` : "";
    return `${name} p50 ${ms(p50)}${ratio} p95 ${ms(pct(ok, 95))} max ${ms(pct(ok, 100))} n=${ok.length}`;
  });
  if (loop) parts.push(`loop delay p50 ${ms(p.loopDelay.p50)} p99 ${ms(p.loopDelay.p99)} max ${ms(p.loopDelay.max)}`);
  const flood = p.floodMs ? `; flood took ${(p.floodMs / 1000).toFixed(1)} s` : "";
  console.log(`${label.padEnd(34)} ${parts.join("; ")}${flood}`);
}

async function inProcess(): Promise<void> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "ok" }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const health: Probe = {
    name: "health",
    everyMs: 50,
    once: async () => {
      const t0 = performance.now();
      await (await fetch(`http://127.0.0.1:${port}/health`)).text();
      return performance.now() - t0;
    },
  };
  // File reads share libuv's thread pool with @node-rs/bcrypt: they must not queue behind the hashes.
  const fileRead: Probe = {
    name: "file read",
    everyMs: 50,
    once: async () => {
      const t0 = performance.now();
      await readFile("package.json");
      return performance.now() - t0;
    },
  };
  const account = { email: "admin@example.org", passwordHash: hashSync("correct horse battery staple", COST) };
  const flood = (check: PasswordCheck, throttle?: LoginThrottle) => () =>
    pool(ATTEMPTS, PARALLEL, (i) =>
      verifyAdminCredentials({ email: account.email, password: `wrong ${i}` }, account, {
        check,
        throttle,
        address: "203.0.113.1",
      }).catch(() => null),
    );
  const bcryptjsCheck: PasswordCheck = (pw, hash) => bcryptjs.compare(pw, hash);

  console.log(
    `in process: ${ATTEMPTS} wrong passwords, ${PARALLEL} at a time, bcrypt cost ${COST}, ` +
      `libuv pool ${process.env.UV_THREADPOOL_SIZE ?? 4} threads`,
  );
  const probes = [health, fileRead];
  const idle = await phase(probes, null);
  report("idle", idle);
  report("flood, bcryptjs (before)", await phase(probes, flood(bcryptjsCheck)), idle);
  report("flood, @node-rs/bcrypt", await phase(probes, flood(bcryptCheck)), idle);
  const throttle = new LoginThrottle({ failuresPerAccount: 5, failuresPerAddress: 20, store: null });
  report("flood, @node-rs/bcrypt + throttle", await phase(probes, flood(bcryptCheck, throttle)), idle);
  server.close();
}

async function againstServer(base: string): Promise<void> {
  const health: Probe = {
    name: "/api/health",
    everyMs: 100,
    once: async () => {
      const t0 = performance.now();
      await (await fetch(`${base}/api/health`)).text();
      return performance.now() - t0;
    },
  };
  const turn: Probe = {
    name: "typed turn first byte",
    everyMs: 250,
    once: async () => {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/personas/${PERSONA}/turns`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "how do I reset my password" }),
      });
      if (!res.ok || !res.body) throw new Error(`turn: ${res.status}`);
      const reader = res.body.getReader();
      await reader.read();
      const first = performance.now() - t0;
      await reader.cancel();
      return first;
    },
  };
  const outcomes = new Map<string, number>();
  const attempt = async (i: number) => {
    const csrf = await fetch(`${base}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const cookie = csrf.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const email = ROTATE ? `guess${i}@example.org` : "admin@example.org";
    const res = await fetch(`${base}/api/auth/callback/credentials`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams({ email, password: `wrong ${i}`, csrfToken, callbackUrl: "/admin" }),
    });
    const code = new URL(res.headers.get("location") ?? "", base).searchParams.get("code") ?? String(res.status);
    outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
  };
  console.log(
    `against ${base}: ${ATTEMPTS} wrong passwords, ${PARALLEL} at a time${ROTATE ? ", one e-mail each" : ""}`,
  );
  await turn.once(); // the first turn of a process warms caches; not part of idle
  const idle = await phase([health, turn], null);
  report("idle", idle, undefined, false);
  const during = await phase([health, turn], () => pool(ATTEMPTS, PARALLEL, (i) => attempt(i).catch(() => null)));
  report("flood to /api/auth/callback/credentials", during, idle, false);
  console.log(`sign-in outcomes: ${[...outcomes].map(([code, n]) => `${code} ${n}`).join(", ")}`);
}

(URL_ARG ? againstServer(URL_ARG.replace(/\/$/, "")) : inProcess()).catch((err) => {
  console.error(err);
  process.exit(1);
});

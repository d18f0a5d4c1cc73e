/**
 * `npm start`: build the app if the sources changed since the last build, ingest each persona's sample
 * documents into an empty knowledge base, then serve on PORT (default 3000): WEB_CONCURRENCY web processes on
 * PORT, PORT+1, ... and, with REDIS_URL, MEDIA_WORKERS media workers on the queue; each restarted if it crashes.
 * A web process is workers/web.ts (Next behind our own http server, which works out each client's address from the
 * socket and TRUSTED_PROXIES), not `next start`.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { configuredLanguageModel } from "@/lib/answer";
import { env } from "@/lib/config/env";
import { KnowledgeBase } from "@/lib/knowledge";
import { listPersonaIds, personaDir } from "@/lib/persona/persona";

const root = process.cwd();
const nextBin = path.join(root, "node_modules", ".bin", "next");
const tsxBin = path.join(root, "node_modules", ".bin", "tsx");

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}

function buildIfNeeded(): void {
  const buildId = path.join(root, ".next", "BUILD_ID");
  const built = existsSync(buildId) ? statSync(buildId).mtimeMs : 0;
  const sources = ["app", "lib", "next.config.ts", "package.json", "tsconfig.json"].map((p) =>
    newestMtime(path.join(root, p)),
  );
  if (built && Math.max(...sources) < built) return;
  console.log(built ? "[start] sources changed: rebuilding" : "[start] first run: building the app");
  const r = spawnSync(nextBin, ["build"], {
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (r.status !== 0) {
    console.error("[start] next build failed");
    process.exit(r.status ?? 1);
  }
}

async function ingestSamplesIfEmpty(): Promise<void> {
  for (const id of await listPersonaIds()) {
    const kb = await KnowledgeBase.open(id);
    if ((await kb.store.countChunks()) > 0) continue;
    const docs = path.join(personaDir(id), "docs");
    if (!existsSync(docs)) continue;
    const t0 = performance.now();
    const reports = await kb.ingestPaths([docs]);
    const failed = reports.filter((r) => r.status === "error");
    for (const f of failed) console.warn(`[start] ${id}: ${f.docId}: ${f.error}`);
    console.log(
      `[start] ${id}: ingested ${reports.length - failed.length} sample documents in ${Math.round(performance.now() - t0)} ms`,
    );
  }
}

/**
 * Next's own signal handler (`next start`'s) would close the listener at once; ours drains speaking turns first
 * (shutdown.ts). workers/web.ts installs none, and the flag keeps it so should Next ever add one there.
 */
const SERVER_ENV = { NEXT_TELEMETRY_DISABLED: "1", NEXT_MANUAL_SIG_HANDLE: "true" };
/** What `next start` sets for itself: the production build of React and of the app. */
const WEB_ENV = { NODE_ENV: "production" };

/**
 * Keeps a process running: restarted after a crash (with a growing pause if it keeps crashing), stopped with
 * the rest on SIGINT/SIGTERM.
 */
function supervise(
  name: string,
  command: string,
  args: string[],
  children: Set<ChildProcess>,
  extraEnv: Record<string, string> = {},
): void {
  let failures = 0;
  const launch = () => {
    const started = Date.now();
    const child = spawn(command, args, { stdio: "inherit", env: { ...process.env, ...SERVER_ENV, ...extraEnv } });
    children.add(child);
    child.on("exit", (code, signal) => {
      children.delete(child);
      if (stopping) return;
      failures = Date.now() - started > 60_000 ? 1 : failures + 1;
      if (failures > 5) {
        console.error(`[start] ${name} keeps stopping (${signal ?? `exit code ${code}`}); giving up`);
        stopAll("SIGTERM", children, 1);
        return;
      }
      const pause = Math.min(30_000, 500 * 2 ** failures);
      console.warn(`[start] ${name} stopped (${signal ?? `exit code ${code}`}); restarting in ${pause} ms`);
      setTimeout(launch, pause);
    });
  };
  launch();
}

let stopping = false;

async function main(): Promise<void> {
  const e = env();
  if (e.WEB_CONCURRENCY > 1 && !e.REDIS_URL) {
    throw new Error("WEB_CONCURRENCY above 1 needs REDIS_URL: the web processes share sessions through Redis");
  }
  buildIfNeeded();
  await ingestSamplesIfEmpty();
  const children = new Set<ChildProcess>();
  // With Redis, media workers are separate processes taking jobs from the queue (this host's share of them);
  // without it, each web process runs its own pool of MEDIA_WORKERS worker processes.
  if (e.REDIS_URL) {
    const worker = (kind: string) => ["--conditions=react-server", "scripts/worker.ts", kind];
    for (let i = 0; i < e.MEDIA_WORKERS; i++) supervise(`media worker ${i + 1}`, tsxBin, worker("media"), children);
    supervise("ingest worker", tsxBin, worker("ingest"), children);
    // A local model is served by one llm worker here (more on GPU hosts with `npm run worker -- llm`).
    if (configuredLanguageModel() === "llama-cpp") supervise("llm worker", tsxBin, worker("llm"), children);
  }
  for (let i = 0; i < e.WEB_CONCURRENCY; i++) {
    const port = String(e.PORT + i);
    console.log(`[start] serving http://localhost:${port}`);
    const args = ["--conditions=react-server", "--import", "tsx", "workers/web.ts"];
    supervise(`web server on port ${port}`, process.execPath, args, children, { ...WEB_ENV, PORT: port });
  }
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => stopAll(sig, children, 0));
}

/** Each web process lets its speaking turns finish (SHUTDOWN_GRACE_MS); once all have gone, this one goes too. */
function stopAll(sig: NodeJS.Signals, children: Set<ChildProcess>, exitCode: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill(sig);
  const check = setInterval(() => {
    if (children.size === 0) {
      clearInterval(check);
      process.exit(exitCode);
    }
  }, 100);
}

main().catch((err) => {
  console.error(`[start] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

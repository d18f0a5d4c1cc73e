/**
 * `npm start`: build the app if the sources changed since the last build, ingest each persona's sample
 * documents into an empty knowledge base, then serve on PORT (default 3000).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { env } from "@/lib/config/env";
import { KnowledgeBase } from "@/lib/knowledge";
import { listPersonaIds, personaDir } from "@/lib/persona/persona";

const root = process.cwd();
const nextBin = path.join(root, "node_modules", ".bin", "next");

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

async function main(): Promise<void> {
  buildIfNeeded();
  await ingestSamplesIfEmpty();
  const port = String(env().PORT);
  console.log(`[start] serving http://localhost:${port}`);
  const server = spawn(nextBin, ["start", "-p", port], {
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => server.kill(sig));
  server.on("exit", (code) => process.exit(code ?? 0));
}

main().catch((err) => {
  console.error(`[start] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

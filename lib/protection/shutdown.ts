import "server-only";
import { env } from "@/lib/config/env";
import { turnAdmission } from "./admission";

/** After the last turn's generator ends, its final bytes still pass through the response pipe to the socket. */
const FLUSH_MS = 250;

const KEY = Symbol.for("avatar-consult.shutdown");
const holder = globalThis as typeof globalThis & { [KEY]?: true };

/**
 * On SIGTERM or SIGINT: refuse new turns (503 with Retry-After), let the speaking ones finish within
 * SHUTDOWN_GRACE_MS, then exit 0. Installing twice does nothing.
 *
 * Installed by instrumentation.ts's register(), which Next runs in the production web server (workers/web.ts)
 * too. That server installs no signal handler of its own; `next start` has one (server/lib/start-server.js) that
 * closes the listener and exits with 143 once open connections end, with no time limit, which
 * NEXT_MANUAL_SIG_HANDLE=true switches off (scripts/start.ts still sets it). The listener stays open while
 * draining, so a load balancer is told "retry" rather than refused a connection.
 */
export function installGracefulShutdown(): void {
  if (holder[KEY]) return;
  holder[KEY] = true;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // Ctrl+C arrives twice under `npm start`: from the terminal and forwarded by scripts/start.ts.
    if (stopping) return;
    stopping = true;
    const admission = turnAdmission();
    const graceMs = env().SHUTDOWN_GRACE_MS;
    console.log(`[shutdown] ${signal}: draining ${admission.activeTurns} speaking turns (up to ${graceMs} ms)`);
    void admission.drain(graceMs).then(({ finished, abandoned }) => {
      console.log(`[shutdown] ${finished} turns finished, ${abandoned} cut off; exiting`);
      setTimeout(() => process.exit(0), FLUSH_MS);
    });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const FIXTURE = path.resolve(import.meta.dirname, "shutdown.fixture.ts");
const TURN_EVENTS = 5;
const EVERY_MS = 300;

let child: ChildProcess | undefined;
afterEach(() => {
  if (child?.exitCode === null) child.kill("SIGKILL");
});

/** Starts the fixture web process with the given grace; resolves once it listens. */
async function startServer(graceMs: number) {
  const proc = fork(FIXTURE, [String(TURN_EVENTS), String(EVERY_MS)], {
    execArgv: ["--conditions=react-server", "--import", "tsx"],
    env: { ...process.env, SHUTDOWN_GRACE_MS: String(graceMs) },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  child = proc;
  let log = "";
  proc.stdout?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  const exited = once(proc, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const [{ port }] = (await once(proc, "message")) as [{ port: number }];
  return { proc, url: `http://127.0.0.1:${port}/`, exited, log: () => log };
}

/** Starts a turn and resolves once its first event arrived; `rest` is the whole body. */
async function startTurn(url: string) {
  const res = await fetch(url, { method: "POST" });
  const reader = res.body!.getReader();
  const first = await reader.read();
  const decoder = new TextDecoder();
  const rest = (async () => {
    let text = decoder.decode(first.value, { stream: true });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return { rest };
}

describe("graceful shutdown", () => {
  it("on SIGTERM refuses new turns, lets the speaking one finish, then exits 0", async () => {
    const server = await startServer(5_000);
    const { rest } = await startTurn(server.url);
    const t0 = performance.now();
    server.proc.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 50));
    const refused = await fetch(server.url, { method: "POST" });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");

    const body = await rest;
    expect(body.trim().split("\n")).toHaveLength(TURN_EVENTS); // every event arrived, the last one too
    const [code, signal] = await server.exited;
    const took = performance.now() - t0;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(took).toBeGreaterThanOrEqual((TURN_EVENTS - 1) * EVERY_MS - 100);
    expect(took).toBeLessThan(4_000);
    expect(server.log()).toContain("[shutdown] SIGTERM: draining 1 speaking turns");
    expect(server.log()).toContain("1 turns finished, 0 cut off");
  });

  it("exits after the grace period even if a turn is still speaking", async () => {
    const server = await startServer(200);
    const { rest } = await startTurn(server.url);
    const t0 = performance.now();
    server.proc.kill("SIGTERM");
    rest.catch(() => undefined); // the connection is cut
    const [code] = await server.exited;
    expect(code).toBe(0);
    expect(performance.now() - t0).toBeLessThan((TURN_EVENTS - 1) * EVERY_MS);
    expect(server.log()).toContain("0 turns finished, 1 cut off");
  });
});

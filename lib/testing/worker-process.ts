import { type ChildProcess, spawn } from "node:child_process";

/** `npm run worker -- <kind>` as a real process; resolves once it reports that it takes jobs. */
export function startWorkerProcess(kind: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/worker.ts", kind], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      if (d.toString().includes("ready in")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`${kind} worker exited (${code})`)));
  });
}

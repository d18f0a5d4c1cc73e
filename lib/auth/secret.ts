import "server-only";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The auth secret: AUTH_SECRET when configured, otherwise a random secret generated once and kept in
 * `<dataDir>/auth-secret` (mode 600), so a fresh machine signs in without setup and sessions survive restarts.
 * Several web hosts behind one address must share AUTH_SECRET instead (each would generate its own).
 */
export function resolveAuthSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, "auth-secret");
  const existing = readSecret(file);
  if (existing) return existing;
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  try {
    // `wx`: never overwrite; when two processes race, the loser reads the winner's secret.
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600); // the umask may have narrowed the mode, never widened it; make it exact
    return secret;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const raced = readSecret(file);
    if (!raced) throw new Error(`${file} exists but is empty: delete it or set AUTH_SECRET`);
    return raced;
  }
}

function readSecret(file: string): string | null {
  try {
    const s = readFileSync(file, "utf8").trim();
    return s.length >= 32 ? s : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

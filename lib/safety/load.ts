import "server-only";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { AppError } from "@/lib/errors";
import { personaDir } from "@/lib/persona/persona";
import { type CompiledRules, parseSafetyRules } from "./ruleset";

export const SAFETY_RULES_FILE = "safety-rules.json";

/** Reads and compiles a rules file; null when there is none (that persona has no safety screen). */
export async function readSafetyRules(file: string): Promise<CompiledRules | null> {
  let raw: string;
  try {
    raw = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new AppError("internal", `${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseSafetyRules(json, file);
}

const cache = new Map<string, Promise<CompiledRules | null>>();

/** The persona's compiled rules from `knowledge/<persona>/safety-rules.json`, compiled once per process. */
export function loadSafetyRules(personaId: string): Promise<CompiledRules | null> {
  let pending = cache.get(personaId);
  if (!pending) {
    pending = readSafetyRules(path.join(personaDir(personaId), SAFETY_RULES_FILE));
    // A failed load is not cached: the next turn retries once the file is fixed.
    pending.catch(() => cache.delete(personaId));
    cache.set(personaId, pending);
  }
  return pending;
}

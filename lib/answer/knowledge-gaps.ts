import "server-only";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { env, projectPath } from "@/lib/config/env";

export interface KnowledgeGap {
  at: string;
  question: string;
  lang: string;
  confidence: number;
  sessionId?: string;
}

function gapFile(personaId: string): string {
  return path.join(projectPath(env().DATA_DIR), "gaps", `${personaId}.jsonl`);
}

/** Questions the knowledge base could not answer, for the admin to fill in (append-only JSON lines). */
export async function recordKnowledgeGap(personaId: string, gap: KnowledgeGap): Promise<void> {
  const file = gapFile(personaId);
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(gap)}\n`);
}

export async function listKnowledgeGaps(personaId: string): Promise<KnowledgeGap[]> {
  const raw = await readFile(gapFile(personaId), "utf8").catch(() => "");
  return raw
    .split("\n")
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as KnowledgeGap];
      } catch {
        return [];
      }
    });
}

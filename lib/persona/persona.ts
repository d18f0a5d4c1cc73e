import "server-only";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { env, projectPath } from "@/lib/config/env";
import { AppError } from "@/lib/errors";

const Lang = z.enum(["en", "zh"]);

export const PersonaSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
  name: z.string().min(1),
  title: z.string().min(1),
  organisation: z.string().min(1),
  languages: z.array(Lang).min(1),
  greeting: z.record(Lang, z.string()),
  systemPrompt: z.string().min(1),
  /** Said when retrieval confidence is below `retrieval.minConfidence`. */
  refusal: z.record(Lang, z.string()),
  disclaimer: z.record(Lang, z.string()).optional(),
  emergencyNumber: z.string().optional(),
  voice: z.object({ engine: z.string(), id: z.string() }),
  avatar: z.object({ image: z.string(), alt: z.string() }),
  theme: z.object({ accent: z.string(), background: z.string() }),
  retrieval: z.object({
    k: z.number().int().min(1).max(50).default(5),
    minConfidence: z.number().min(0).max(1).default(0.35),
    maxChunksPerDoc: z.number().int().min(1).default(2),
    chunkSize: z.number().int().min(200).max(4000).default(900),
    chunkOverlap: z.number().int().min(0).max(1000).default(120),
  }),
});

export type Persona = z.infer<typeof PersonaSchema>;
export type Lang = z.infer<typeof Lang>;

export function personaDir(id: string): string {
  return path.join(projectPath(env().KNOWLEDGE_DIR), id);
}

const cache = new Map<string, Persona>();

export async function loadPersona(id: string): Promise<Persona> {
  const hit = cache.get(id);
  if (hit) return hit;
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(id)) throw new AppError("unknown_persona", `Unknown persona "${id}".`);
  let raw: string;
  try {
    raw = await readFile(path.join(personaDir(id), "persona.json"), "utf8");
  } catch {
    throw new AppError("unknown_persona", `Unknown persona "${id}".`);
  }
  const parsed = PersonaSchema.safeParse(JSON.parse(raw));
  if (!parsed.success || parsed.data.id !== id) {
    const why = parsed.success ? `its id is "${parsed.data.id}"` : parsed.error.issues[0]?.message;
    throw new AppError("internal", `knowledge/${id}/persona.json is invalid: ${why}`);
  }
  cache.set(id, parsed.data);
  return parsed.data;
}

/** Every folder under KNOWLEDGE_DIR that holds a persona.json. */
export async function listPersonaIds(): Promise<string[]> {
  const root = projectPath(env().KNOWLEDGE_DIR);
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const ids: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const files = await readdir(path.join(root, e.name)).catch(() => [] as string[]);
    if (files.includes("persona.json")) ids.push(e.name);
  }
  return ids.sort();
}

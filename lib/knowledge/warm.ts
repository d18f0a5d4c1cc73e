import "server-only";
import { listPersonaIds } from "@/lib/persona/persona";
import { KnowledgeBase } from "./index";

export async function warmKnowledgeBases(): Promise<void> {
  for (const id of await listPersonaIds()) {
    try {
      await (await KnowledgeBase.open(id)).store.warm();
    } catch (err) {
      console.warn(`[warm] ${id}: ${(err as Error).message}`);
    }
  }
}

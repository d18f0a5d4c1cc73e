import type { Lang, Persona } from "@/lib/persona/persona";

/** The persona's disclaimer in `lang`; "" for a persona without one. */
export function disclaimerFor(persona: Pick<Persona, "disclaimer">, lang: Lang): string {
  return persona.disclaimer?.[lang] ?? "";
}

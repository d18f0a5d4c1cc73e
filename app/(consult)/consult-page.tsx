import type { Metadata } from "next";
import { Consultation } from "@/app/(consult)/consultation";
import type { PersonaView, Variant } from "@/app/(consult)/types";
import { loadPersona } from "@/lib/persona/persona";
import "./consult.css";

/** Only what the page shows crosses to the browser: never the system prompt, voice or retrieval settings. */
async function personaView(variant: Variant): Promise<PersonaView> {
  const p = await loadPersona(variant);
  return {
    id: p.id,
    variant,
    name: p.name,
    title: p.title,
    organisation: p.organisation,
    languages: p.languages,
    greeting: p.greeting,
    disclaimer: p.disclaimer ?? {},
    emergencyNumber: p.emergencyNumber ?? null,
    avatarAlt: p.avatar.alt,
    accent: p.theme.accent,
    background: p.theme.background,
  };
}

export async function consultMetadata(variant: Variant): Promise<Metadata> {
  const p = await loadPersona(variant);
  return { title: `${p.name} · ${p.organisation}`, description: `${p.title}, ${p.organisation}` };
}

/** A consult surface (/triage, /support): the persona from knowledge/<variant>/persona.json, talking. */
export async function ConsultPage({ variant }: { variant: Variant }) {
  return <Consultation persona={await personaView(variant)} />;
}

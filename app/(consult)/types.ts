import type { UiLang } from "@/app/(consult)/i18n";
import type { TurnEvent } from "@/lib/turn/events";

export type Variant = "triage" | "support";
export type Source = Extract<TurnEvent, { type: "sources" }>["sources"][number];
export type Safety = Extract<TurnEvent, { type: "safety" }>;
export type Done = Extract<TurnEvent, { type: "done" }>;

/** What the server page hands the client: plain, serialisable persona facts only (no prompt, no rules). */
export interface PersonaView {
  id: string;
  variant: Variant;
  name: string;
  title: string;
  organisation: string;
  languages: UiLang[];
  greeting: Partial<Record<UiLang, string>>;
  disclaimer: Partial<Record<UiLang, string>>;
  emergencyNumber: string | null;
  avatarAlt: string;
  accent: string;
  background: string;
}

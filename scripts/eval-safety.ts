/**
 * `npm run eval:safety [-- --persona triage] [--file safety-devset.jsonl] [--misses tuning|none]`: the safety screen
 * on a phrasing set written apart from the rules (knowledge/<persona>/eval/safety-devset.jsonl). Figures for both
 * halves; misses are listed for the tuning half (odd lines) only, so the reporting half (even lines) stays unseen.
 */
import { parseArgs } from "node:util";
import { loadPersona } from "@/lib/persona/persona";
import {
  formatSafetyDevsetScore,
  loadSafetyDevset,
  SafetyScreen,
  scoreSafetyDevset,
  splitSafetyDevset,
} from "@/lib/safety";

const { values } = parseArgs({
  options: {
    persona: { type: "string", default: "triage" },
    file: { type: "string", default: "safety-devset.jsonl" },
    misses: { type: "string", default: "tuning" },
  },
});
const screen = await SafetyScreen.forPersona(await loadPersona(values.persona));
if (!screen) throw new Error(`persona ${values.persona} has no safety-rules.json`);
const { tuning, reporting } = splitSafetyDevset(await loadSafetyDevset(values.persona, values.file));
console.log(
  formatSafetyDevsetScore(
    "TUNING half (odd lines)",
    scoreSafetyDevset(tuning, screen.check),
    values.misses === "tuning",
  ),
);
console.log(formatSafetyDevsetScore("REPORTING half (even lines)", scoreSafetyDevset(reporting, screen.check), false));

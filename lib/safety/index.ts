export { disclaimerFor } from "./disclaimer";
export {
  evaluateSafety,
  formatSafetyEvaluation,
  loadSafetyEval,
  type SafetyEvalItem,
  type SafetyEvaluation,
  type SafetyMiss,
} from "./evaluation";
export { loadSafetyRules, readSafetyRules } from "./load";
export type { SafetyLevel } from "./rules";
export { type CompiledRules, parseSafetyRules } from "./ruleset";
export { type SafetyResult, SafetyScreen, type ScreenOptions, screen } from "./screen";

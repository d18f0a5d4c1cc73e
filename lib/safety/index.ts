export { disclaimerFor } from "./disclaimer";
export {
  type DevsetMiss,
  evaluateSafety,
  formatSafetyDevsetScore,
  formatSafetyEvaluation,
  loadSafetyDevset,
  loadSafetyEval,
  parseSafetyDevset,
  type SafetyDevsetItem,
  type SafetyDevsetScore,
  type SafetyEvalItem,
  type SafetyEvaluation,
  type SafetyMiss,
  scoreSafetyDevset,
  splitSafetyDevset,
} from "./evaluation";
export { loadSafetyRules, readSafetyRules } from "./load";
export type { SafetyLevel } from "./rules";
export { type CompiledRules, parseSafetyRules } from "./ruleset";
export { type SafetyResult, SafetyScreen, type ScreenOptions, screen } from "./screen";

import type { SafetyLevel } from "@/lib/safety";

/** The turn stream contract (DESIGN.md): one JSON object per line, flushed as it happens. */
export type TurnEvent =
  | { type: "turn"; turnId: string; sessionId: string }
  /** `live`: a spoken question recognised while it was being spoken (else from the uploaded recording). */
  | { type: "transcript"; text: string; lang: "en" | "zh"; live?: boolean }
  /** `informational`: the question is about an emergency, not one happening now; the answer follows the line. */
  | { type: "safety"; level: SafetyLevel; message: string; informational?: boolean }
  | {
      type: "sources";
      sources: { n: number; docId: string; title: string; page: number | null; snippet: string }[];
    }
  | { type: "text"; delta: string }
  | { type: "audio"; seq: number; mime: "audio/wav"; data: string; startMs: number; durationMs: number }
  | {
      type: "video";
      seq: number;
      fps: number;
      startMs: number;
      /** Patches to composite on the still portrait: frame index within this sentence, box, base64 image. */
      frames: { f: number; x: number; y: number; w: number; h: number; mime: string; data: string }[];
    }
  /** Something was left out so the answer could still arrive (speech or lip-sync failed or was late). */
  | { type: "notice"; code: "tts_failed" | "speech_late" | "lipsync_failed" | "llm_fallback"; message: string }
  | {
      type: "done";
      timings: {
        asrMs: number;
        retrieveMs: number;
        firstTextMs: number;
        firstAudioMs: number;
        firstVideoMs: number;
        totalMs: number;
      };
      engines: { asr: string; llm: string; tts: string; lipsync: string };
      citations: { n: number; docId: string; title: string; source: string; page: number | null }[];
      abstained: boolean;
      cancelled: boolean;
    }
  | { type: "error"; code: string; message: string };

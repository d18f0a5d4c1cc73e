import type { PreparedAvatar } from "@/lib/avatar/types";
import type { Lang } from "@/lib/persona/persona";
import type { Transcript } from "@/lib/speech/types";
import type { SpokenSentence } from "./media-service";

/**
 * Messages between the web process and a media worker process over the fork IPC channel ("advanced"
 * serialisation, so PCM and image bytes travel as typed arrays). Request ids are the parent's.
 */
export type ToMediaWorker =
  | { type: "speak"; id: number; personaId: string; text: string; lang: Lang }
  | { type: "transcribe"; id: number; wav: Uint8Array; lang?: Lang }
  | { type: "warm"; id: number; personaIds: string[] }
  | { type: "avatar"; id: number; personaId: string }
  | { type: "abort"; id: number }
  /** Live recognition: `listen` opens it, `listen-audio` feeds 16 kHz PCM, `listen-end` asks for the transcript. */
  | { type: "listen"; id: number; lang?: Lang }
  | { type: "listen-audio"; id: number; pcm: Int16Array }
  | { type: "listen-end"; id: number };

/** Messages that start work in the worker (the others steer work already running). */
export type MediaWorkerRequest = Exclude<ToMediaWorker, { type: "abort" | "listen-audio" | "listen-end" }>;

export type FromMediaWorker =
  | { type: "ready" }
  | { type: "sentence"; id: number; sentence: SpokenSentence }
  | { type: "transcript"; id: number; transcript: Transcript }
  | { type: "avatar"; id: number; avatar: PreparedAvatar }
  | { type: "end"; id: number }
  /** `lost`: the worker process died (set by the parent), so the job may be retried elsewhere. */
  | { type: "error"; id: number; code: string; message: string; lost?: boolean };

import type { Lang, Persona } from "@/lib/persona/persona";

/** A retrieved passage as the answer engines see it: numbered [n] in the prompt and in citations. */
export interface Passage {
  n: number;
  docId: string;
  title: string;
  source: string;
  page: number | null;
  heading: string;
  /** The whole section the hit belongs to (what engines answer from). */
  text: string;
  /** The retrieved chunk itself, shown as the source's excerpt. */
  snippet?: string;
  score: number;
}

export interface ConversationTurn {
  role: "user" | "assistant";
  text: string;
}

export interface AnswerRequest {
  question: string;
  lang: Lang;
  persona: Persona;
  passages: Passage[];
  /** Earlier turns of this session, oldest first. */
  history: ConversationTurn[];
  signal?: AbortSignal;
}

export type StopReason = "complete" | "abort" | "length";

export type AnswerEvent =
  | { type: "delta"; text: string }
  | {
      type: "done";
      /** Which engine produced the text, e.g. "llama-cpp:qwen2.5-1.5b-instruct-q4_k_m", "extractive". */
      engine: string;
      text: string;
      /** Passage numbers cited in the text, in order of first appearance. */
      citations: number[];
      stopReason: StopReason;
    };

/** Turns a question and retrieved passages into a streamed, cited answer. Cancellable through `signal`. */
export interface AnswerEngine {
  readonly id: string;
  answer(request: AnswerRequest): AsyncIterable<AnswerEvent>;
  /** Frees models and worker processes. */
  close?(): Promise<void>;
}

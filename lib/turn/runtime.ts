import "server-only";
import { type AnswerService, createAnswerService } from "@/lib/answer";
import { MediaWorkerClient } from "@/lib/media/worker-client";
import { TurnOrchestrator } from "./orchestrator";

let orchestrator: TurnOrchestrator | null = null;
let media: MediaWorkerClient | null = null;

/**
 * The web process's turn pipeline: answers in process (they are light), speech and lip-sync in a media worker
 * process so synthesis and rendering never block another session's stream.
 */
export function turnOrchestrator(): TurnOrchestrator {
  if (!orchestrator) {
    const services = new Map<string, Promise<AnswerService>>();
    orchestrator = new TurnOrchestrator({
      media: mediaWorker(),
      answers: (personaId) => {
        let s = services.get(personaId);
        if (!s) {
          s = createAnswerService(personaId);
          s.catch(() => services.delete(personaId));
          services.set(personaId, s);
        }
        return s;
      },
      lipsyncEngine: "viseme",
    });
  }
  return orchestrator;
}

export function mediaWorker(): MediaWorkerClient {
  media ??= new MediaWorkerClient();
  return media;
}

/** Starts the media worker and has it load every engine and draw each persona's avatar before the first turn. */
export async function warmTurnPipeline(personaIds: string[]): Promise<void> {
  await mediaWorker().warm(personaIds);
}

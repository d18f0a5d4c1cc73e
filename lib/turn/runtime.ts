import "server-only";
import { type AnswerService, createAnswerService } from "@/lib/answer";
import { InMemorySessionMemory, RedisSessionMemory, type SessionMemory } from "@/lib/answer/session-memory";
import { authSecret } from "@/lib/auth/config";
import { env } from "@/lib/config/env";
import { setQueueStatsProvider, setWorkerStatusProvider } from "@/lib/metrics";
import { type Lang, loadPersona } from "@/lib/persona/persona";
import { createMediaQueue, type MediaQueue } from "@/lib/queue";
import { redisConnection } from "@/lib/queue/redis";
import { LiveSpeechRegistry } from "./live-speech";
import { type TurnDeps, TurnOrchestrator } from "./orchestrator";
import { SessionIds } from "./session-ids";

/** Web-process singletons, kept on globalThis: Next may evaluate this module more than once. */
interface Runtime {
  pipeline?: TurnDeps;
  orchestrator?: TurnOrchestrator;
  media?: MediaQueue;
  live?: LiveSpeechRegistry;
  sessionIds?: SessionIds;
}
const holder = globalThis as { __avatarRuntime?: Runtime };
holder.__avatarRuntime ??= {};
const runtime = holder.__avatarRuntime;

const BARGE_IN_CHANNEL = "avatar:barge-in";

/**
 * The web process's turn pipeline: answers in process (they are light); speech, recognition and lip-sync as jobs
 * on the media queue (worker processes on this machine, or on any host over Redis), so synthesis and rendering
 * never block another session's stream.
 */
export function turnOrchestrator(): TurnOrchestrator {
  if (runtime.orchestrator) return runtime.orchestrator;
  const { REDIS_URL, SPEECH_LEAD_MS } = env();
  const publisher = REDIS_URL ? redisConnection(REDIS_URL, "command") : null;
  const orchestrator = new TurnOrchestrator({
    ...pipeline(),
    speechLeadMs: SPEECH_LEAD_MS,
    announceTurn: publisher
      ? (sessionId, turnId) => {
          publisher.publish(BARGE_IN_CHANNEL, JSON.stringify({ sessionId, turnId })).catch(() => {});
        }
      : undefined,
  });
  if (REDIS_URL) {
    // A session's next question may land on another web process: the turn speaking here must stop.
    const subscriber = redisConnection(REDIS_URL, "blocking");
    subscriber.subscribe(BARGE_IN_CHANNEL).catch(() => {});
    subscriber.on("message", (_channel, text: string) => {
      const { sessionId, turnId } = JSON.parse(text) as { sessionId: string; turnId: string };
      orchestrator.cancelSession(sessionId, turnId);
    });
  }
  runtime.orchestrator = orchestrator;
  return orchestrator;
}

/** What every turn of this process runs on: the media queue and one answer service per persona. */
function pipeline(): TurnDeps {
  if (runtime.pipeline) return runtime.pipeline;
  const { REDIS_URL } = env();
  const sessions: SessionMemory = REDIS_URL
    ? new RedisSessionMemory(redisConnection(REDIS_URL, "command"))
    : new InMemorySessionMemory();
  const services = new Map<string, Promise<AnswerService>>();
  runtime.pipeline = {
    media: mediaQueue(),
    answers: (personaId) => {
      let s = services.get(personaId);
      if (!s) {
        s = createAnswerService(personaId, { sessions });
        s.catch(() => services.delete(personaId));
        services.set(personaId, s);
      }
      return s;
    },
    lipsyncEngine: "viseme",
  };
  return runtime.pipeline;
}

export function mediaQueue(): MediaQueue {
  if (runtime.media) return runtime.media;
  const media = createMediaQueue();
  setQueueStatsProvider(() => media.depth());
  setWorkerStatusProvider(() => media.workers());
  runtime.media = media;
  return media;
}

/** Conversation ids, signed with the auth secret so every web process sharing it accepts the others' ids. */
export function sessionIds(): SessionIds {
  runtime.sessionIds ??= new SessionIds(authSecret());
  return runtime.sessionIds;
}

/** Recordings being recognised while people speak, in this web process. */
export function liveSpeech(): LiveSpeechRegistry {
  if (runtime.live) return runtime.live;
  const media = mediaQueue();
  runtime.live = new LiveSpeechRegistry(media.listen?.bind(media) ?? null);
  return runtime.live;
}

/** Questions for the warm-up turns, in each language a persona speaks. */
const WARM_UP: Record<Lang, string[]> = {
  en: ["how can you help me today", "who should I contact about this"],
  zh: ["请问怎么联系你们"],
};

/**
 * Starts the media workers and has them load every engine and draw each persona's avatar, then runs a few real
 * turns per persona and language through the whole pipeline (whole answers at once, nobody listening): the first
 * people to ask after a start should not pay for compiling, index caches and first-call costs.
 */
export async function warmTurnPipeline(personaIds: string[]): Promise<void> {
  await mediaQueue().warm(personaIds);
  const warm = new TurnOrchestrator(pipeline());
  const t0 = performance.now();
  let turns = 0;
  for (const personaId of personaIds) {
    for (const lang of (await loadPersona(personaId)).languages) {
      for (const text of WARM_UP[lang]) {
        for await (const _ of warm.run({ personaId, text })) {
          // the events go nowhere: only the work matters
        }
        turns++;
      }
    }
  }
  console.log(`[warm] ${turns} warm-up turns in ${Math.round(performance.now() - t0)} ms`);
}

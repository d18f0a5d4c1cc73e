import "server-only";
import { toAppError } from "@/lib/errors";
import { LiveSession } from "./live-session";
import { MediaService } from "./media-service";
import type { FromMediaWorker, MediaWorkerRequest, ToMediaWorker } from "./worker-protocol";

/**
 * The media worker process's main loop: one MediaService (models loaded once) serving every session's jobs
 * concurrently, so the web server's event loop never runs synthesis, recognition or rendering.
 */
export function runMediaWorker(): void {
  const media = MediaService.fromEnv();
  const running = new Map<number, AbortController>();
  const live = new Map<number, LiveSession>();
  const send = (m: FromMediaWorker) => process.send?.(m);

  const handle = async (msg: MediaWorkerRequest, signal: AbortSignal) => {
    if (msg.type === "listen") {
      const session = new LiveSession(media.listen(msg.lang));
      live.set(msg.id, session);
      signal.addEventListener("abort", () => session.abort(), { once: true });
      try {
        send({ type: "transcript", id: msg.id, transcript: await session.transcript });
      } finally {
        live.delete(msg.id);
      }
    } else if (msg.type === "speak") {
      for await (const sentence of media.speak(msg.personaId, msg.text, { lang: msg.lang, signal })) {
        send({ type: "sentence", id: msg.id, sentence });
      }
    } else if (msg.type === "transcribe") {
      send({ type: "transcript", id: msg.id, transcript: await media.transcribe(msg.wav, msg.lang, signal) });
    } else if (msg.type === "avatar") {
      send({ type: "avatar", id: msg.id, avatar: await media.avatarFor(msg.personaId) });
    } else {
      await media.warm(msg.personaIds);
    }
  };

  process.on("message", (msg: ToMediaWorker) => {
    if (msg.type === "abort") {
      running.get(msg.id)?.abort();
      return;
    }
    if (msg.type === "listen-audio" || msg.type === "listen-end") {
      const session = live.get(msg.id);
      if (msg.type === "listen-audio") session?.write(msg.pcm);
      else session?.end();
      return;
    }
    const controller = new AbortController();
    running.set(msg.id, controller);
    handle(msg, controller.signal)
      .then(
        () => send({ type: "end", id: msg.id }),
        (err) => {
          const e = toAppError(err);
          send({ type: "error", id: msg.id, code: e.code, message: e.message });
        },
      )
      .finally(() => running.delete(msg.id));
  });
  // The parent going away ends the worker: no orphaned processes holding models. Ctrl+C or a service manager's
  // SIGTERM reaches the whole process group; the web process decides when its speaking turns are done.
  process.on("disconnect", () => process.exit(0));
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => {});
  send({ type: "ready" });
}

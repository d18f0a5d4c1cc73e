import { AppError } from "@/lib/errors";

/**
 * Every engine reports audio without recognisable words the same way: `AppError("unprocessable")` whose message
 * starts with "no speech detected", so the turn stream can tell the person to try again instead of answering "".
 */
export const NO_SPEECH = "no speech detected";

export function noSpeech(reason: string): AppError {
  return new AppError("unprocessable", `${NO_SPEECH}: ${reason}`);
}

export function isNoSpeech(err: unknown): boolean {
  return err instanceof AppError && err.code === "unprocessable" && err.message.startsWith(NO_SPEECH);
}

import { z } from "zod";
import { AppError } from "@/lib/errors";
import { readBodyWithLimit } from "@/lib/http";

const MAX_CHUNK_BYTES = 16_000 * 2 * 5; // 5 s of 16 kHz PCM16

export const SessionIdSchema = z.string().regex(/^[\w-]{1,64}$/, "sessionId must be 1-64 letters, digits, _ or -");
export const SpeechIdSchema = z.string().uuid("not a recording id");
export const SeqSchema = z.coerce.number().int().min(0).max(100_000);

export function parseQuery<T>(schema: z.ZodType<T>, value: string | null, what: string): T {
  const parsed = schema.safeParse(value ?? undefined);
  if (!parsed.success) throw new AppError("bad_request", `${what}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

/** A chunk of the recording: raw 16 kHz mono PCM16, little-endian, as the page's microphone produces it. */
export async function parseChunk(req: Request): Promise<Int16Array> {
  const type = req.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/octet-stream") {
    throw new AppError("unsupported_media_type", "send raw 16 kHz PCM16 as application/octet-stream");
  }
  const bytes = await readBodyWithLimit(req, MAX_CHUNK_BYTES, "a chunk is over 5 s of audio");
  if (bytes.length % 2 !== 0) throw new AppError("bad_request", "PCM16 chunks have an even number of bytes");
  const pcm = new Int16Array(bytes.length / 2);
  new Uint8Array(pcm.buffer).set(bytes);
  return pcm;
}

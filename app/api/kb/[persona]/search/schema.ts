import { z } from "zod";
import { AppError } from "@/lib/errors";
import { readBodyWithLimit } from "@/lib/http";

const MAX_BODY_BYTES = 16 * 1024;

export const SearchRequestSchema = z.object({
  question: z.string().trim().min(1, "question is empty").max(1000, "question is longer than 1,000 characters"),
  k: z.number().int().min(1).max(20).optional(),
});

export type SearchRequest = z.infer<typeof SearchRequestSchema>;

/**
 * JSON only: a text/plain (or form) body is a "simple" request a page on another origin can send without asking
 * first, so it is refused (415) before the body is read.
 */
export async function parseSearchRequest(req: Request): Promise<SearchRequest> {
  const type = req.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    throw new AppError("unsupported_media_type", "send the search as application/json");
  }
  // A question is at most 1,000 characters: a larger body is refused as it streams in, never buffered whole.
  const raw = await readBodyWithLimit(req, MAX_BODY_BYTES, "the search is over 16 KB");
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    throw new AppError("bad_request", "the body is not valid JSON");
  }
  const parsed = SearchRequestSchema.safeParse(body);
  if (!parsed.success) throw new AppError("bad_request", parsed.error.issues[0]?.message ?? "invalid search");
  return parsed.data;
}

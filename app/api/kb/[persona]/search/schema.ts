import { z } from "zod";
import { AppError } from "@/lib/errors";

export const SearchRequestSchema = z.object({
  question: z.string().trim().min(1, "question is empty").max(1000, "question is longer than 1,000 characters"),
  k: z.number().int().min(1).max(20).optional(),
});

export type SearchRequest = z.infer<typeof SearchRequestSchema>;

export async function parseSearchRequest(req: Request): Promise<SearchRequest> {
  const body = await req.json().catch(() => {
    throw new AppError("bad_request", "the body is not valid JSON");
  });
  const parsed = SearchRequestSchema.safeParse(body);
  if (!parsed.success) throw new AppError("bad_request", parsed.error.issues[0]?.message ?? "invalid search");
  return parsed.data;
}

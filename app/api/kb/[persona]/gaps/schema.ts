import { z } from "zod";
import { AppError } from "@/lib/errors";

/** `?limit=` (1-200, default 50) and `?before=` (the previous page's `nextCursor`). */
export const GapsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().min(1).max(2_000).optional(),
});

export type GapsQuery = z.infer<typeof GapsQuerySchema>;

export function parseGapsQuery(url: URL): GapsQuery {
  const parsed = GapsQuerySchema.safeParse({
    limit: url.searchParams.get("limit") ?? undefined,
    before: url.searchParams.get("before") ?? undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError("bad_request", `${issue?.path.join(".") || "query"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

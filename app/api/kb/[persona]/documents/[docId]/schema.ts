import { z } from "zod";
import { AppError } from "@/lib/errors";

export const DocIdSchema = z.string().trim().min(1).max(300);

export function parseDocId(raw: string): string {
  const parsed = DocIdSchema.safeParse(raw);
  if (!parsed.success) throw new AppError("bad_request", "invalid document id");
  return parsed.data;
}

import { httpStatus, toAppError } from "@/lib/errors";

/** Any error as a JSON response with the status its code maps to; internal details stay in the server log. */
export function errorResponse(err: unknown): Response {
  const e = toAppError(err);
  if (e.code === "internal") console.error(err);
  return Response.json({ error: { code: e.code, message: e.message } }, { status: httpStatus(e.code) });
}

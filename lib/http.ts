import { AppError, httpStatus, publicError } from "@/lib/errors";

/**
 * Any error as a JSON response with the status its code maps to; internal details stay in the server log, and the
 * client gets the error id that finds them there. An error that says when to come back gets a `Retry-After`
 * header and `retryAfterS` in the body.
 */
export function errorResponse(err: unknown): Response {
  const e = publicError(err);
  const retry = e.retryAfterS;
  return Response.json(
    { error: { code: e.code, message: e.message, ...(retry !== undefined && { retryAfterS: retry }) } },
    { status: httpStatus(e.code), headers: retry !== undefined ? { "retry-after": String(retry) } : undefined },
  );
}

/**
 * The whole body, refused with payload_too_large as soon as it passes `maxBytes`: a declared Content-Length says so
 * before anything is read, and a body streamed without one is cut off at the limit instead of buffered whole.
 */
export async function readBodyWithLimit(req: Request, maxBytes: number, tooLargeMessage: string): Promise<Uint8Array> {
  const tooLarge = () => new AppError("payload_too_large", tooLargeMessage);
  if (Number(req.headers.get("content-length") ?? "0") > maxBytes) throw tooLarge();
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      // Not awaited: a sender that keeps pushing must not hold the refusal back.
      reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

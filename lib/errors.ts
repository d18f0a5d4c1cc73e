/**
 * The one error type the app raises on purpose. Codes are stable strings clients can switch on;
 * `httpStatus` maps them to HTTP in one place.
 */
export const ErrorCodes = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  unknown_persona: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** When the client may try again (rate limits, busy, shutting down); sent as `Retry-After`. */
  readonly retryAfterS?: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfterS?: number }) {
    super(message, options);
    this.name = "AppError";
    this.code = code;
    this.retryAfterS = options?.retryAfterS;
  }
}

export function httpStatus(code: ErrorCode): number {
  return ErrorCodes[code];
}

/** Normalises anything thrown into an AppError without losing the original as `cause`. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError("internal", message, { cause: err });
}

/**
 * What a client may see of an error. Errors raised on purpose carry their own clear message. An `internal` error's
 * message may hold store paths or library internals, so the client gets a generic message with a short id instead,
 * and the server log gets the whole error under the same id.
 */
export function publicError(err: unknown, where = "request"): AppError {
  const e = toAppError(err);
  if (e.code !== "internal") return e;
  return new AppError("internal", `something went wrong on our side (error ${logWithId(where, err)})`, { cause: err });
}

/** Logs the whole error under a short new id and returns the id, for a client-facing message to carry. */
export function logWithId(where: string, err: unknown): string {
  const id = Math.random().toString(36).slice(2, 10);
  console.error(`[error ${id}] ${where}:`, err);
  return id;
}

/** The message of `publicError`, for places that report a problem as text (health checks). */
export function publicMessage(err: unknown, where?: string): string {
  return publicError(err, where).message;
}

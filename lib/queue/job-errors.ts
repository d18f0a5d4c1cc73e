import { AppError, type ErrorCode, ErrorCodes, toAppError } from "@/lib/errors";

/**
 * A job's failure crosses Redis as text (BullMQ's failedReason): "[code] message", so the web process raises the
 * same AppError the worker did.
 */
export function failureText(err: unknown): string {
  const e = toAppError(err);
  return `[${e.code}] ${e.message}`;
}

export function failureError(reason: string): AppError {
  const m = /^\[(\w+)\] ([\s\S]*)$/.exec(reason);
  const code = m?.[1] && m[1] in ErrorCodes ? (m[1] as ErrorCode) : "internal";
  return new AppError(code, m?.[2] ?? reason);
}

/** Bad input fails the same way every time: such jobs are not retried. */
export function isPermanent(err: unknown): boolean {
  const status = ErrorCodes[toAppError(err).code];
  return status >= 400 && status < 500;
}

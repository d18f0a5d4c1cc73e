import "server-only";
import { availableParallelism } from "node:os";
import { verify } from "@node-rs/bcrypt";
import { AppError } from "@/lib/errors";
import type { LoginThrottle } from "./throttle";

/** The administrator configured in the environment (ADMIN_EMAIL + ADMIN_PASSWORD_HASH). */
export interface AdminAccount {
  email?: string;
  passwordHash?: string;
}

export interface AdminUser {
  id: string;
  email: string;
  name: string;
  role: "admin";
}

const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/**
 * Whether admin sign-in can work, and if not, what to tell the operator. The hash is made with
 * `node -e "console.log(require('@node-rs/bcrypt').hashSync('pw', 12))"` (bcryptjs's $2a/$2b hashes work too).
 */
export function adminSetup(account: AdminAccount): { ok: true } | { ok: false; problem: string } {
  if (!account.email || !account.passwordHash) {
    return { ok: false, problem: "ADMIN_EMAIL and ADMIN_PASSWORD_HASH are not both set." };
  }
  if (!BCRYPT_HASH.test(account.passwordHash)) {
    return {
      ok: false,
      problem:
        "ADMIN_PASSWORD_HASH is not a bcrypt hash ($2b$12$ followed by 53 characters). In a .env file, escape each $ as \\$ — Next expands $ there.",
    };
  }
  return { ok: true };
}

/** Whether a password matches a bcrypt hash. */
export type PasswordCheck = (password: string, hash: string) => Promise<boolean>;

/**
 * Hashes running at once. They run on libuv's thread pool (4 threads by default), which file reads and DNS share,
 * and each takes a core while it runs: a flood of sign-ins must leave threads free for those and a core for the
 * event loop, so at most two hash (one on a two-core machine) and the rest wait their turn.
 */
const HASHES_AT_ONCE = Math.max(1, Math.min(2, availableParallelism() - 1));
/** Past this many waiting, a sign-in is refused as busy rather than queued for ever. */
const MAX_WAITING = 100;
let hashing = 0;
const waiting: (() => void)[] = [];

async function inHashingSlot<T>(work: () => Promise<T>): Promise<T> {
  if (hashing >= HASHES_AT_ONCE) {
    if (waiting.length >= MAX_WAITING) {
      throw new AppError("unavailable", "sign-in is busy, retry in a few seconds", { retryAfterS: 5 });
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    hashing++;
  }
  try {
    return await work();
  } finally {
    // The place passes straight on to the next in line, or is given back.
    const next = waiting.shift();
    if (next) next();
    else hashing--;
  }
}

/**
 * bcrypt in Rust on libuv's thread pool: a flood of sign-in attempts no longer holds the event loop that streams
 * everyone's answers (bcryptjs computed each hash on it, ~0.2 s at cost 12). Reads $2a/$2b/$2y hashes alike.
 */
export const bcryptCheck: PasswordCheck = (password, hash) =>
  inHashingSlot(() => verify(password, hash)).catch((err: unknown) => {
    if (err instanceof AppError) throw err;
    return false; // not a hash it can read
  });

export interface VerifyOptions {
  /** Throttles guessing per account and per client address; a throttled attempt never reaches `check`. */
  throttle?: LoginThrottle;
  /** The client's address (`clientIp(request)`), the throttle's second key. */
  address?: string;
  check?: PasswordCheck;
}

/**
 * Checks an e-mail and password against the configured administrator. The bcrypt comparison runs even when
 * the e-mail is wrong, so the response time does not reveal which of the two was. With a throttle, an account or
 * address that must wait is refused with rate_limited (retryAfterS) before any hashing.
 */
export async function verifyAdminCredentials(
  input: { email?: unknown; password?: unknown },
  account: AdminAccount,
  { throttle, address = "local", check = bcryptCheck }: VerifyOptions = {},
): Promise<AdminUser | null> {
  if (!adminSetup(account).ok) return null;
  const email = typeof input.email === "string" ? input.email.trim().toLowerCase() : "";
  const password = typeof input.password === "string" ? input.password : "";
  if (!email || !password || password.length > 256) return null;
  await throttle?.begin(email, address);
  const passwordOk = await check(password, account.passwordHash!);
  const emailOk = email === account.email!.trim().toLowerCase();
  if (!passwordOk || !emailOk) return null;
  await throttle?.succeeded(email, address);
  return { id: `admin:${email}`, email, name: "Administrator", role: "admin" };
}

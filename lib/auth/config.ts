import "server-only";
import { env, projectPath } from "@/lib/config/env";
import { type AdminAccount, adminSetup } from "./credentials";
import { resolveAuthSecret } from "./secret";

let secret: string | undefined;

/** AUTH_SECRET, or the generated one kept in `<DATA_DIR>/auth-secret`; resolved once per process. */
export function authSecret(): string {
  secret ??= resolveAuthSecret(env().AUTH_SECRET, projectPath(env().DATA_DIR));
  return secret;
}

export function adminAccount(): AdminAccount {
  return { email: env().ADMIN_EMAIL, passwordHash: env().ADMIN_PASSWORD_HASH };
}

/** For the sign-in page: whether admin sign-in is configured, and if not, why. */
export function adminSignInStatus(): { ok: true } | { ok: false; problem: string } {
  return adminSetup(adminAccount());
}

/** Admin sessions last a working day; signing in again is cheap. */
export const SESSION_MAX_AGE_S = 8 * 60 * 60;

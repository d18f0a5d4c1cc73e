import "server-only";
import bcrypt from "bcryptjs";

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
 * `node -e "console.log(require('bcryptjs').hashSync('pw', 12))"`.
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

/**
 * Checks an e-mail and password against the configured administrator. The bcrypt comparison runs even when
 * the e-mail is wrong, so the response time does not reveal which of the two was.
 */
export async function verifyAdminCredentials(
  input: { email?: unknown; password?: unknown },
  account: AdminAccount,
): Promise<AdminUser | null> {
  if (!adminSetup(account).ok) return null;
  const email = typeof input.email === "string" ? input.email.trim().toLowerCase() : "";
  const password = typeof input.password === "string" ? input.password : "";
  if (!email || !password || password.length > 256) return null;
  const passwordOk = await bcrypt.compare(password, account.passwordHash!);
  const emailOk = email === account.email!.trim().toLowerCase();
  if (!passwordOk || !emailOk) return null;
  return { id: `admin:${email}`, email, name: "Administrator", role: "admin" };
}

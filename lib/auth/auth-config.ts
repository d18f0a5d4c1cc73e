import "server-only";
// From @auth/core, which next-auth re-exports it from: importing "next-auth" itself pulls in Next's server modules,
// which this config does not need (and which tests cannot load outside Next).
import { CredentialsSignin } from "@auth/core/errors";
import type { NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { AppError } from "@/lib/errors";
import { clientIp } from "@/lib/protection/client-ip";
import { adminAccount, authSecret, SESSION_MAX_AGE_S } from "./config";
import { verifyAdminCredentials } from "./credentials";
import { loginThrottle } from "./throttle";

/**
 * A sign-in refused before the password was checked: too many failures for the account or the address. next-auth
 * puts `code` in the sign-in page's URL (`?error=CredentialsSignin&code=throttled`); the server action reads
 * `retryAfterS` from the error itself.
 */
export class SignInThrottled extends CredentialsSignin {
  code = "throttled";
  constructor(readonly retryAfterS: number) {
    super(`too many sign-in attempts; retry in ${retryAfterS} s`);
  }
}

/**
 * Admin authentication: next-auth v5, one Credentials provider checked against ADMIN_EMAIL and
 * ADMIN_PASSWORD_HASH (bcrypt; make one with `node -e "console.log(require('@node-rs/bcrypt').hashSync('pw', 12))"`),
 * JWT sessions carrying `role: "admin"`. The secret is AUTH_SECRET or one generated into `<DATA_DIR>/auth-secret`.
 * The config is built lazily (on the first request), so building the app never creates the secret file.
 *
 * Both ways in (the sign-in form's server action and next-auth's own POST /api/auth/callback/credentials) end in
 * `authorize`, so the login throttle sits there, keyed by the account and the client address of the request.
 */
export function authConfig(): NextAuthConfig {
  return {
    secret: authSecret(),
    trustHost: true,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: "/admin/login", error: "/admin/login" },
    // Strict: the admin session is never sent along with a request another site starts (links, forms, images).
    // Only the options change; next-auth keeps its cookie names (session-token.ts reads them), httpOnly, path "/",
    // and `secure` (with the `__Secure-` prefix) when the site is served over https.
    cookies: { sessionToken: { options: { sameSite: "strict" } } } as NextAuthConfig["cookies"],
    providers: [
      Credentials({
        id: "credentials",
        name: "Administrator",
        credentials: { email: { label: "E-mail", type: "email" }, password: { label: "Password", type: "password" } },
        authorize: async (input, request) => {
          try {
            return await verifyAdminCredentials(input ?? {}, adminAccount(), {
              throttle: loginThrottle(),
              address: clientIp(request),
            });
          } catch (err) {
            if (err instanceof AppError && err.code === "rate_limited")
              throw new SignInThrottled(err.retryAfterS ?? 60);
            throw err;
          }
        },
      }),
    ],
    // A refused sign-in is routine (a typo, or a guesser being throttled): one line each, not a stack trace.
    logger: {
      error(error) {
        if (error instanceof CredentialsSignin) console.warn(`[auth] sign-in refused: ${error.code}`);
        else console.error(error);
      },
    },
    callbacks: {
      jwt({ token, user }) {
        if (user) token.role = (user as { role?: string }).role;
        return token;
      },
      session({ session, token }) {
        (session.user as { role?: unknown }).role = token.role;
        return session;
      },
    },
  };
}

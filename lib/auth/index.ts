import "server-only";
import { redirect } from "next/navigation";
import NextAuth, { type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { adminAccount, authSecret, SESSION_MAX_AGE_S } from "./config";
import { verifyAdminCredentials } from "./credentials";
import { type AdminIdentity, assertAdmin } from "./guard";

/**
 * Admin authentication: next-auth v5, one Credentials provider checked against ADMIN_EMAIL and
 * ADMIN_PASSWORD_HASH (bcrypt; make one with `node -e "console.log(require('bcryptjs').hashSync('pw', 12))"`),
 * JWT sessions carrying `role: "admin"`. The secret is AUTH_SECRET or one generated into `<DATA_DIR>/auth-secret`.
 * The config is built lazily (on the first request), so building the app never creates the secret file.
 */
export function authConfig(): NextAuthConfig {
  return {
    secret: authSecret(),
    trustHost: true,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: "/admin/login", error: "/admin/login" },
    providers: [
      Credentials({
        id: "credentials",
        name: "Administrator",
        credentials: { email: { label: "E-mail", type: "email" }, password: { label: "Password", type: "password" } },
        authorize: (input) => verifyAdminCredentials(input ?? {}, adminAccount()),
      }),
    ],
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

export const { handlers, auth, signIn, signOut } = NextAuth(() => authConfig());

export { type AdminIdentity, assertAdmin, requireAdmin } from "./guard";

/** For admin pages and server actions: the signed-in admin, or a redirect to the sign-in page. */
export async function requireAdminPage(returnTo = "/admin"): Promise<AdminIdentity> {
  const session = await auth();
  const user = session?.user as { role?: unknown; email?: string } | undefined;
  if (user?.role !== "admin") redirect(`/admin/login?callbackUrl=${encodeURIComponent(returnTo)}`);
  return assertAdmin(user);
}

import "server-only";
import { redirect } from "next/navigation";
import NextAuth from "next-auth";
import { authConfig } from "./auth-config";
import { type AdminIdentity, assertAdmin } from "./guard";

export const { handlers, auth, signIn, signOut } = NextAuth(() => authConfig());

export { type AdminIdentity, assertAdmin, requireAdmin } from "./guard";

/** For admin pages and server actions: the signed-in admin, or a redirect to the sign-in page. */
export async function requireAdminPage(returnTo = "/admin"): Promise<AdminIdentity> {
  const session = await auth();
  const user = session?.user as { role?: unknown; email?: string } | undefined;
  if (user?.role !== "admin") redirect(`/admin/login?callbackUrl=${encodeURIComponent(returnTo)}`);
  return assertAdmin(user);
}

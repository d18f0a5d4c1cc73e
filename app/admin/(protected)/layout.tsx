import Link from "next/link";
import type { ReactNode } from "react";
import { requireAdminPage } from "@/lib/auth";
import { logoutAction } from "../actions";

export const dynamic = "force-dynamic";

export default async function ProtectedAdminLayout({ children }: { children: ReactNode }) {
  const admin = await requireAdminPage();
  return (
    <>
      <header className="admin-header">
        <nav aria-label="Admin">
          <Link href="/admin">Knowledge bases</Link>
          <Link href="/" style={{ fontWeight: 400 }}>
            View site
          </Link>
        </nav>
        <span className="who">{admin.email}</span>
        <form action={logoutAction}>
          <button type="submit" className="btn btn-sm" data-testid="logout">
            Sign out
          </button>
        </form>
      </header>
      {children}
    </>
  );
}

import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { auth } from "@/lib/auth";
import { adminSignInStatus } from "@/lib/auth/config";
import { LoginForm } from "./login-form";
import { signInErrorMessage } from "./messages";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[]>>;
}) {
  const params = await searchParams;
  const raw = typeof params.callbackUrl === "string" ? params.callbackUrl : "/admin";
  const callbackUrl = /^\/admin(?:[/?#]|$)/.test(raw) && !raw.startsWith("/admin/login") ? raw : "/admin";
  const session = await auth();
  if ((session?.user as { role?: unknown } | undefined)?.role === "admin") redirect(callbackUrl);
  const status = adminSignInStatus();
  const authError = typeof params.error === "string" ? params.error : undefined;
  const authCode = typeof params.code === "string" ? params.code : undefined;

  return (
    <main className="login-wrap">
      <section className="login-card" aria-labelledby="login-title">
        <p className="muted" style={{ margin: 0 }}>
          Avatar Consult
        </p>
        <h1 id="login-title">Administrator sign-in</h1>
        <p className="muted">Manage each consultant&apos;s knowledge base.</p>
        {status.ok ? (
          <>
            {authError && (
              <p className="alert alert-error" role="alert">
                {signInErrorMessage(authError, authCode)}
              </p>
            )}
            <LoginForm callbackUrl={callbackUrl} />
          </>
        ) : (
          <div className="alert alert-info" role="status" data-testid="login-not-configured">
            <p style={{ marginTop: 0 }}>
              <strong>Admin sign-in is not configured.</strong> {status.problem}
            </p>
            <p>Make a password hash:</p>
            <pre>
              node -e &quot;console.log(require(&apos;@node-rs/bcrypt&apos;).hashSync(&apos;your password&apos;,
              12))&quot;
            </pre>
            <p>
              then set, in the environment or <code>.env.local</code> (escape each <code>$</code> there):
            </p>
            <pre>{"ADMIN_EMAIL=admin@example.org\nADMIN_PASSWORD_HASH=\\$2b\\$12\\$..."}</pre>
            <p style={{ marginBottom: 0 }}>and restart the server.</p>
          </div>
        )}
      </section>
    </main>
  );
}

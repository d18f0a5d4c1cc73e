"use server";
import { AuthError } from "next-auth";
import { signIn, signOut } from "@/lib/auth";
import { signInErrorMessage } from "./login/messages";

export interface LoginState {
  error?: string;
  /** Echoed back so a failed attempt keeps the e-mail (React resets the form after an action). */
  email?: string;
}

/** Only paths inside the admin area are accepted as where to go after signing in (no open redirect). */
function safeReturnTo(value: FormDataEntryValue | null): string {
  const s = typeof value === "string" ? value : "";
  return /^\/admin(?:[/?#]|$)/.test(s) && !s.startsWith("/admin/login") ? s : "/admin";
}

export async function loginAction(_prev: LoginState, form: FormData): Promise<LoginState> {
  const email = String(form.get("email") ?? "").trim();
  const password = String(form.get("password") ?? "");
  if (!email || !password) return { error: "Enter your e-mail and password.", email };
  try {
    await signIn("credentials", { email, password, redirectTo: safeReturnTo(form.get("callbackUrl")) });
  } catch (err) {
    // a successful sign-in "throws" Next's redirect, which must propagate
    if (err instanceof AuthError) {
      const { code, retryAfterS } = err as AuthError & { code?: string; retryAfterS?: number };
      return { error: signInErrorMessage(err.type, code, retryAfterS), email };
    }
    throw err;
  }
  return {};
}

export async function logoutAction(): Promise<void> {
  await signOut({ redirectTo: "/admin/login" });
}

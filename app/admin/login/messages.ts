import { inMinutes } from "@/lib/auth/wait";

/**
 * What the sign-in page says about a failed attempt: next-auth's error type and code (from the server action's error,
 * or the `?error=&code=` next-auth puts in the URL when its own endpoint was posted to), and the wait when known.
 */
export function signInErrorMessage(type: string | undefined, code?: string, retryAfterS?: number): string {
  if (type === "CredentialsSignin" && code === "throttled") {
    return retryAfterS
      ? `Too many sign-in attempts; try again in ${inMinutes(retryAfterS)}.`
      : "Too many sign-in attempts; try again in a few minutes.";
  }
  if (type === "CredentialsSignin") return "Wrong e-mail or password.";
  return "Sign-in failed. Try again.";
}

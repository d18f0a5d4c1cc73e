"use client";
import { useActionState } from "react";
import { type LoginState, loginAction } from "../actions";

export function LoginForm({ callbackUrl }: { callbackUrl: string }) {
  const [state, action, pending] = useActionState<LoginState, FormData>(loginAction, {});
  return (
    <form action={action} noValidate={false}>
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      <div className="field">
        <label htmlFor="login-email">E-mail</label>
        <input
          id="login-email"
          className="input"
          name="email"
          type="email"
          defaultValue={state.email}
          autoComplete="username"
          required
          data-testid="login-email"
          aria-invalid={state.error ? true : undefined}
          aria-describedby={state.error ? "login-error" : undefined}
        />
      </div>
      <div className="field">
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          className="input"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          data-testid="login-password"
          aria-invalid={state.error ? true : undefined}
          aria-describedby={state.error ? "login-error" : undefined}
        />
      </div>
      {state.error && (
        <p id="login-error" className="alert alert-error" role="alert" data-testid="login-error">
          {state.error}
        </p>
      )}
      <button type="submit" className="btn btn-primary" disabled={pending} data-testid="login-submit">
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

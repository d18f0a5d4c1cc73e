"use client";

/** JSON from an /api/kb endpoint; a lapsed session sends the admin back to the sign-in page. */
export async function kbFetch<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, cache: "no-store" });
  const body = await res.json().catch(() => null);
  if (res.status === 401) {
    window.location.assign(`/admin/login?callbackUrl=${encodeURIComponent(window.location.pathname)}`);
  }
  if (!res.ok) throw new Error(body?.error?.message ?? `request failed (${res.status})`);
  return body as T;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

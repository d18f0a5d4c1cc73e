import "server-only";
import { decode, encode, type JWT } from "next-auth/jwt";
import { authSecret, SESSION_MAX_AGE_S } from "./config";

/** next-auth's session cookie: `__Secure-` prefixed when the site is served over https. */
export const SESSION_COOKIES = ["__Secure-authjs.session-token", "authjs.session-token"] as const;

export interface SessionClaims extends JWT {
  role?: string;
}

function readCookies(header: string | null): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    try {
      jar.set(name, decodeURIComponent(value));
    } catch {
      jar.set(name, value);
    }
  }
  return jar;
}

/** A cookie value, joined back together when next-auth split a large one into `name.0`, `name.1`, ... */
function cookieValue(jar: Map<string, string>, name: string): string | undefined {
  const whole = jar.get(name);
  if (whole) return whole;
  const parts: string[] = [];
  for (let i = 0; jar.has(`${name}.${i}`); i++) parts.push(jar.get(`${name}.${i}`)!);
  return parts.length ? parts.join("") : undefined;
}

/**
 * The session claims carried by a request's session cookie, or null when there is none or it does not decrypt
 * (wrong secret, tampered, expired). Reads cookies only, so it works in route handlers, the proxy and tests.
 */
export async function sessionFromRequest(req: Request, secret = authSecret()): Promise<SessionClaims | null> {
  const jar = readCookies(req.headers.get("cookie"));
  for (const name of SESSION_COOKIES) {
    const token = cookieValue(jar, name);
    if (!token) continue;
    try {
      const claims = await decode({ token, secret, salt: name });
      if (claims) return claims as SessionClaims;
    } catch {
      // an undecodable cookie is no session
    }
  }
  return null;
}

/** A session cookie as next-auth would set it (`name=value`), for tests and tools. */
export async function mintSessionCookie(
  claims: SessionClaims,
  options: { secret?: string; secure?: boolean; maxAgeS?: number } = {},
): Promise<string> {
  const name = options.secure ? SESSION_COOKIES[0] : SESSION_COOKIES[1];
  const token = await encode({
    token: claims,
    secret: options.secret ?? authSecret(),
    salt: name,
    maxAge: options.maxAgeS ?? SESSION_MAX_AGE_S,
  });
  return `${name}=${token}`;
}

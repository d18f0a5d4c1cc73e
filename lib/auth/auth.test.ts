import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { adminSetup, verifyAdminCredentials } from "./credentials";
import { assertAdmin, requireAdmin } from "./guard";
import { resolveAuthSecret } from "./secret";
import { mintSessionCookie, sessionFromRequest } from "./session-token";

describe("admin credentials", () => {
  const passwordHash = bcrypt.hashSync("correct horse", 4);
  const account = { email: "admin@example.org", passwordHash };

  it("accepts the configured e-mail (any case) with the right password, as an admin", async () => {
    await expect(
      verifyAdminCredentials({ email: " Admin@Example.org ", password: "correct horse" }, account),
    ).resolves.toMatchObject({ email: "admin@example.org", role: "admin" });
  });

  it("refuses a wrong password, a wrong e-mail, missing fields and an unconfigured admin", async () => {
    expect(await verifyAdminCredentials({ email: "admin@example.org", password: "wrong" }, account)).toBeNull();
    expect(await verifyAdminCredentials({ email: "other@example.org", password: "correct horse" }, account)).toBeNull();
    expect(await verifyAdminCredentials({ email: "admin@example.org" }, account)).toBeNull();
    expect(await verifyAdminCredentials({ email: "admin@example.org", password: "correct horse" }, {})).toBeNull();
  });

  it("checks hashes from bcryptjs ($2a$, $2b$) and from @node-rs/bcrypt alike", async () => {
    const { hashSync } = await import("@node-rs/bcrypt");
    for (const hash of [
      passwordHash.replace(/^\$2b\$/, "$2a$"), // older bcryptjs wrote $2a$
      passwordHash,
      hashSync("correct horse", 4),
    ]) {
      const creds = { email: "admin@example.org", passwordHash: hash };
      expect(
        await verifyAdminCredentials({ email: "admin@example.org", password: "correct horse" }, creds),
      ).not.toBeNull();
      expect(await verifyAdminCredentials({ email: "admin@example.org", password: "correct hors" }, creds)).toBeNull();
    }
  });

  it("explains a missing or mangled hash", () => {
    expect(adminSetup(account)).toEqual({ ok: true });
    expect(adminSetup({ email: "a@b.c" })).toMatchObject({
      ok: false,
      problem: expect.stringContaining("not both set"),
    });
    // what `$` expansion in a .env file leaves of "$2b$12$...": the hash loses its `$2b`, `$12` parts
    expect(adminSetup({ email: "a@b.c", passwordHash: passwordHash.slice(7) })).toMatchObject({
      ok: false,
      problem: expect.stringContaining("escape each $"),
    });
  });
});

describe("auth secret", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "auth-secret-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("uses AUTH_SECRET when set and writes nothing", async () => {
    expect(resolveAuthSecret("x".repeat(40), dir)).toBe("x".repeat(40));
    await expect(stat(path.join(dir, "auth-secret"))).rejects.toThrow();
  });

  it("generates a secret once into <DATA_DIR>/auth-secret with mode 600, then reuses it", async () => {
    const dataDir = path.join(dir, "fresh", "data");
    const first = resolveAuthSecret(undefined, dataDir);
    expect(first.length).toBeGreaterThanOrEqual(32);
    const file = path.join(dataDir, "auth-secret");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, "utf8")).trim()).toBe(first);
    expect(resolveAuthSecret(undefined, dataDir)).toBe(first);
  });

  it("replaces nothing it cannot use: an empty secret file is an error, not silently overwritten", async () => {
    const dataDir = path.join(dir, "empty");
    await import("node:fs/promises").then((fs) => fs.mkdir(dataDir, { recursive: true }));
    await writeFile(path.join(dataDir, "auth-secret"), "");
    expect(() => resolveAuthSecret(undefined, dataDir)).toThrow(/empty/);
  });
});

describe("session cookies and requireAdmin", () => {
  const secret = "s".repeat(48);
  const req = (cookie?: string) =>
    new Request("http://localhost/api/kb/triage/documents", {
      headers: cookie ? { cookie } : {},
    });
  const read = (r: Request) => sessionFromRequest(r, secret);

  it("reads back a minted session cookie (http and https names) and ignores one signed with another secret", async () => {
    const plain = await mintSessionCookie({ email: "a@b.c", role: "admin" }, { secret });
    const secure = await mintSessionCookie({ email: "a@b.c", role: "admin" }, { secret, secure: true });
    expect(await read(req(plain))).toMatchObject({ email: "a@b.c", role: "admin" });
    expect(await read(req(`theme=dark; ${secure}`))).toMatchObject({ role: "admin" });
    const forged = await mintSessionCookie({ email: "a@b.c", role: "admin" }, { secret: "f".repeat(48) });
    expect(await read(req(forged))).toBeNull();
    expect(await read(req("authjs.session-token=garbage"))).toBeNull();
  });

  it("refuses no session with unauthorized and a non-admin with forbidden", async () => {
    await expect(requireAdmin(req(), read)).rejects.toMatchObject({ code: "unauthorized" });
    const viewer = await mintSessionCookie({ email: "v@b.c", role: "viewer" }, { secret });
    await expect(requireAdmin(req(viewer), read)).rejects.toMatchObject({ code: "forbidden" });
    const admin = await mintSessionCookie({ email: "a@b.c", role: "admin" }, { secret });
    await expect(requireAdmin(req(admin), read)).resolves.toEqual({ email: "a@b.c", role: "admin" });
    expect(() => assertAdmin(null)).toThrow(AppError);
  });
});

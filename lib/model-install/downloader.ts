import "server-only";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppError } from "@/lib/errors";

export interface DownloadProgress {
  file: string;
  received: number;
  total: number | null;
  resumedFrom: number;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  sha256?: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}

export type DownloadOutcome = "downloaded" | "resumed" | "present";

/**
 * Downloads one file to `dest` through `dest.part`: an interrupted download resumes with an HTTP Range request,
 * the SHA-256 is checked before the file takes its final name, and a file already in place with the right
 * checksum is not fetched again.
 */
export async function downloadFile(opts: DownloadOptions): Promise<DownloadOutcome> {
  const part = `${opts.dest}.part`;
  await mkdir(path.dirname(opts.dest), { recursive: true });

  const expected: Checksum | undefined = opts.sha256
    ? { algorithm: "sha256", value: opts.sha256.toLowerCase() }
    : await serverChecksum(opts.url, opts.signal);
  if (!expected) {
    throw new AppError(
      "unprocessable",
      `${opts.url}: no checksum is pinned and the server sent none; refusing an unverified file`,
    );
  }
  if ((await sizeOf(opts.dest)) !== null && (await checksumOf(opts.dest, expected.algorithm)) === expected.value) {
    return "present";
  }

  const have = (await sizeOf(part)) ?? 0;
  const res = await request(opts.url, {
    signal: opts.signal,
    headers: have > 0 ? { Range: `bytes=${have}-` } : {},
  });
  const resumed = have > 0 && res.status === 206;
  if (have > 0 && !resumed) await rm(part, { force: true }); // the server ignored the range: start over
  const start = resumed ? have : 0;
  const length = Number(res.headers.get("content-length"));
  const total = Number.isFinite(length) && length > 0 ? start + length : null;
  let received = start;
  const body = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>);
  body.on("data", (chunk: Buffer) => {
    received += chunk.length;
    opts.onProgress?.({ file: opts.dest, received, total, resumedFrom: start });
  });
  await pipeline(body, createWriteStream(part, { flags: resumed ? "a" : "w" }), { signal: opts.signal });

  const actual = await checksumOf(part, expected.algorithm);
  if (actual !== expected.value) {
    await rm(part, { force: true });
    throw new AppError(
      "unprocessable",
      `${path.basename(opts.dest)}: ${expected.algorithm} mismatch (expected ${expected.value}, got ${actual}); the partial file was removed`,
    );
  }
  await rename(part, opts.dest);
  return resumed ? "resumed" : "downloaded";
}

async function request(url: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: "follow", ...init });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new AppError("unavailable", `cannot reach ${new URL(url).host} (${cause}): offline or blocked`, {
      cause: err,
    });
  }
  if (!res.ok && res.status !== 206 && !(init.redirect === "manual" && res.status >= 300 && res.status < 400)) {
    throw new AppError(
      res.status === 404 ? "not_found" : "unavailable",
      `${url}: HTTP ${res.status} ${res.statusText}`,
    );
  }
  return res;
}

interface Checksum {
  algorithm: "sha256" | "git-sha1";
  value: string;
}

/**
 * Hugging Face names a large (LFS) file's SHA-256 in x-linked-etag or etag, on the redirect it answers a
 * resolve URL with; a small file's etag is its git blob SHA-1. Either is checked.
 */
async function serverChecksum(url: string, signal?: AbortSignal): Promise<Checksum | undefined> {
  const first = await request(url, { method: "HEAD", redirect: "manual", signal });
  const found = checksumHeader(first.headers);
  if (found || first.status < 300 || first.status >= 400) return found;
  return checksumHeader((await request(url, { method: "HEAD", signal })).headers);
}

function checksumHeader(headers: Headers): Checksum | undefined {
  for (const name of ["x-linked-etag", "etag"]) {
    const v = headers.get(name)?.replace(/^W\//, "").replace(/"/g, "").toLowerCase();
    if (v && /^[0-9a-f]{64}$/.test(v)) return { algorithm: "sha256", value: v };
    if (v && /^[0-9a-f]{40}$/.test(v)) return { algorithm: "git-sha1", value: v };
  }
  return undefined;
}

async function sizeOf(file: string): Promise<number | null> {
  return stat(file).then(
    (s) => s.size,
    () => null,
  );
}

async function checksumOf(file: string, algorithm: Checksum["algorithm"]): Promise<string> {
  if (algorithm === "sha256") {
    const hash = createHash("sha256");
    await pipeline(createReadStream(file), hash);
    return hash.digest("hex");
  }
  // git's object id: sha1("blob <size>\0" + content)
  const hash = createHash("sha1").update(`blob ${(await stat(file)).size}\0`);
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

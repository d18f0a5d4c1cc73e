import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadFile } from "./downloader";
import { pullModels } from "./pull";

const big = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));
const small = Buffer.from('{"model_type":"bert"}');
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const gitSha1 = (b: Buffer) => createHash("sha1").update(`blob ${b.length}\0`).update(b).digest("hex");

/** A stand-in for a model host: LFS files redirect with x-linked-etag, small files carry a git etag, ranges work. */
function modelHost(opts: { lie?: boolean } = {}) {
  const ranges: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? "";
    if (url.includes("/resolve/main/model.bin")) {
      res.writeHead(302, {
        location: "/cdn/model.bin",
        "x-linked-etag": `"${opts.lie ? "0".repeat(64) : sha256(big)}"`,
      });
      return res.end();
    }
    if (url === "/cdn/model.bin") {
      const m = /bytes=(\d+)-/.exec(req.headers.range ?? "");
      if (m) ranges.push(req.headers.range ?? "");
      const from = m ? Number(m[1]) : 0;
      res.writeHead(m ? 206 : 200, { "content-length": String(big.length - from) });
      return res.end(req.method === "HEAD" ? undefined : big.subarray(from));
    }
    if (url.includes("/resolve/main/config.json")) {
      res.writeHead(200, { etag: `"${gitSha1(small)}"`, "content-length": String(small.length) });
      return res.end(req.method === "HEAD" ? undefined : small);
    }
    res.writeHead(404).end();
  });
  return { server, ranges };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("model downloads (against a local HTTP server)", () => {
  let dir: string;
  const host = modelHost();
  let base: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "models-"));
    base = await listen(host.server);
  });
  afterAll(async () => {
    host.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("downloads and verifies an LFS file, then skips it when present", async () => {
    const dest = path.join(dir, "a", "model.bin");
    const seen: number[] = [];
    const outcome = await downloadFile({
      url: `${base}/org/repo/resolve/main/model.bin`,
      dest,
      onProgress: (p) => seen.push(p.received),
    });
    expect(outcome).toBe("downloaded");
    expect(await readFile(dest)).toEqual(big);
    expect(seen.at(-1)).toBe(big.length);
    expect(await downloadFile({ url: `${base}/org/repo/resolve/main/model.bin`, dest })).toBe("present");
  });

  it("resumes an interrupted download with a range request", async () => {
    const dest = path.join(dir, "b", "model.bin");
    await mkdir(path.dirname(dest), { recursive: true });
    await writeFile(`${dest}.part`, big.subarray(0, 100_000));
    const outcome = await downloadFile({ url: `${base}/org/repo/resolve/main/model.bin`, dest });
    expect(outcome).toBe("resumed");
    expect(host.ranges).toContain("bytes=100000-");
    expect(sha256(await readFile(dest))).toBe(sha256(big));
  });

  it("verifies small files by their git object id", async () => {
    const dest = path.join(dir, "c", "config.json");
    expect(await downloadFile({ url: `${base}/org/repo/resolve/main/config.json`, dest })).toBe("downloaded");
    expect(await readFile(dest, "utf8")).toBe(small.toString());
  });

  it("rejects a file whose checksum does not match and removes the partial file", async () => {
    const liar = modelHost({ lie: true });
    const url = await listen(liar.server);
    const dest = path.join(dir, "d", "model.bin");
    await expect(downloadFile({ url: `${url}/org/repo/resolve/main/model.bin`, dest })).rejects.toThrow(
      /sha256 mismatch/,
    );
    await expect(stat(`${dest}.part`)).rejects.toThrow();
    await expect(stat(dest)).rejects.toThrow();
    liar.server.close();
  });

  it("refuses a pinned checksum that differs", async () => {
    const dest = path.join(dir, "e", "config.json");
    await expect(
      downloadFile({ url: `${base}/org/repo/resolve/main/config.json`, dest, sha256: "f".repeat(64) }),
    ).rejects.toThrow(/mismatch/);
  });

  it("fails fast and clearly when the host cannot be reached", async () => {
    const lines: string[] = [];
    await expect(
      pullModels({ select: ["llm"], baseUrl: "http://127.0.0.1:9", modelsDir: dir, log: (l) => lines.push(l) }),
    ).rejects.toMatchObject({ code: "unavailable", message: expect.stringMatching(/cannot reach 127\.0\.0\.1:9/) });
    expect(lines).toEqual([]);
  });

  it("names the choices when asked for an unknown model", async () => {
    await expect(pullModels({ select: ["gpt9"], baseUrl: base, modelsDir: dir, log: () => {} })).rejects.toThrow(
      /unknown model "gpt9"; choose from: all, llm/,
    );
  });
});

import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDocx, makePdf } from "@/lib/testing/documents";

const run = promisify(execFile);
const tsx = path.resolve("node_modules/.bin/tsx");

describe("npm run kb (the CLI, in a child process)", () => {
  let dir: string;
  const kb = (...args: string[]) =>
    run(tsx, ["--conditions=react-server", "scripts/kb.ts", ...args], {
      env: { ...process.env, LANCEDB_URI: path.join(dir, "db") },
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "kb-cli-"));
    const docs = path.join(dir, "mixed");
    await mkdir(docs);
    await writeFile(
      path.join(docs, "sign-in.md"),
      "# Sign-in failures\n\nIf authentication fails three times, your account is locked for 15 minutes. Use Forgot password to reset your credentials.",
    );
    await writeFile(
      path.join(docs, "refunds.html"),
      "<html><head><title>Refunds</title></head><body><h1>Refunds</h1><p>Duplicate charges are refunded within 5 business days.</p></body></html>",
    );
    await writeFile(
      path.join(docs, "guide.pdf"),
      makePdf([["Offline mode", "The desktop app keeps working offline and syncs later."]]),
    );
    await writeFile(path.join(docs, "zh-refund.docx"), await makeDocx(["# 退款", "重复扣款会在五个工作日内退回。"]));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("ingests a mixed folder, then answers English and Chinese questions as JSON", async () => {
    const ingest = await kb("ingest", "--persona", "support", path.join(dir, "mixed"));
    expect(ingest.stdout).toMatch(/4 ok, 0 failed/);

    const en = JSON.parse(
      (await kb("search", "--persona", "support", "--json", "--k", "2", "locked out after wrong password")).stdout,
    );
    expect(en.results).toHaveLength(2);
    expect(en.results[0]).toMatchObject({ docId: "sign-in.md", title: "Sign-in failures", page: null });
    expect(en.results[0].source).toMatch(/sign-in\.md$/);
    expect(Object.keys(en.results[0])).toEqual(
      expect.arrayContaining(["docId", "title", "source", "page", "text", "score"]),
    );
    expect(en.confidence).toBeGreaterThan(0);
    expect(en.confidence).toBeLessThanOrEqual(1);

    const zh = JSON.parse((await kb("search", "--persona", "support", "--json", "被重复扣款了怎么办")).stdout);
    expect(zh.results[0].docId).toBe("zh-refund.docx");

    const list = await kb("list", "--persona", "support");
    expect(list.stdout).toMatch(/4 documents/);
  });

  it("fails with a clear message and exit code for bad usage", async () => {
    await expect(kb("search", "--persona", "nobody", "hi")).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Unknown persona "nobody"'),
    });
    await expect(kb("remove", "--persona", "support", "no-such-doc.md")).rejects.toMatchObject({
      stderr: expect.stringContaining('no document "no-such-doc.md"'),
    });
    await expect(kb("frobnicate", "--persona", "support")).rejects.toMatchObject({ code: 2 });
  });
});

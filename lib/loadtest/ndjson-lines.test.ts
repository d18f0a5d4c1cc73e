import { describe, expect, it } from "vitest";
import { readLines } from "./ndjson-lines";

async function collect(chunks: (Uint8Array | string)[]): Promise<string[]> {
  async function* source() {
    yield* chunks;
  }
  const out: string[] = [];
  for await (const line of readLines(source())) out.push(line);
  return out;
}

describe("readLines", () => {
  it("joins a line split across chunks and splits several lines in one chunk", async () => {
    expect(await collect(['{"a":', '1}\n{"b":2}\n{"c"', ":3}\n"])).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it("decodes a multi-byte character split between two chunks", async () => {
    const bytes = new TextEncoder().encode('{"text":"孩子发烧"}\n');
    const cut = 11; // inside the first Hanzi's three bytes
    expect(await collect([bytes.slice(0, cut), bytes.slice(cut)])).toEqual(['{"text":"孩子发烧"}']);
  });

  it("splits byte by byte", async () => {
    const bytes = new TextEncoder().encode("one\ntwo\n");
    expect(await collect([...bytes].map((b) => Uint8Array.of(b)))).toEqual(["one", "two"]);
  });

  it("keeps a last line without a newline, drops blank lines and CRs", async () => {
    expect(await collect(["a\r\n\n", "  \nb"])).toEqual(["a", "b"]);
  });
});

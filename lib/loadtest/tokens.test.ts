import { describe, expect, it } from "vitest";
import { TokenRegistry } from "./tokens";

describe("TokenRegistry", () => {
  it("issues unique tokens and tells foreign from stale from own", () => {
    const reg = new TokenRegistry("abc12");
    const mine = reg.issue("s1");
    const earlier = reg.issue("s1");
    const theirs = reg.issue("s2");
    expect(new Set([mine, earlier, theirs]).size).toBe(3);
    expect(reg.scan(`{"text":"q ref ${mine}"}`, "s1", mine)).toEqual([]);
    expect(reg.scan(`{"delta":"${theirs} and ${earlier}"}`, "s1", mine)).toEqual(["foreign_token", "stale_token"]);
  });

  it("ignores look-alikes it never issued, such as base64 audio", () => {
    const reg = new TokenRegistry("abc12");
    reg.issue("s1");
    expect(reg.scan('{"data":"zqabc12zzzzzzzqzq"}', "s2", undefined)).toEqual([]);
  });
});

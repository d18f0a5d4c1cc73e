import { describe, expect, it } from "vitest";
import { disclaimerFor } from "./disclaimer";

describe("disclaimerFor", () => {
  it("picks the language, or nothing for a persona without one", () => {
    expect(disclaimerFor({ disclaimer: { en: "Not a diagnosis.", zh: "不构成诊断。" } }, "zh")).toBe("不构成诊断。");
    expect(disclaimerFor({}, "en")).toBe("");
  });
});

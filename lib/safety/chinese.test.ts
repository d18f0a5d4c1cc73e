import { describe, expect, it } from "vitest";
import { ChineseDoc, compileChinesePattern, normalizeChinese } from "./chinese";

const find = (text: string, pattern: string) => {
  const doc = new ChineseDoc(text);
  return doc.find(compileChinesePattern(pattern)).map((s) => doc.describe(s));
};

describe("normalizeChinese", () => {
  it("turns numerals before units into digits and reads 39度5 as 39.5度", () => {
    expect(normalizeChinese("发烧三天了，还是39度5")).toBe("发烧3天了，还是39.5度");
    expect(normalizeChinese("三十八度五")).toBe("38.5度");
    expect(normalizeChinese("两个月大，一直哭")).toBe("2个月大，一直哭");
  });
});

describe("ChineseDoc.find", () => {
  it("matches gaps and number ranges", () => {
    expect(find("我胸口很痛", "胸*痛")).toEqual(["胸口很痛"]);
    expect(find("抽了十分钟", "#5..分钟")).toEqual(["10分钟"]);
    expect(find("抽了两分钟", "#5..分钟")).toEqual([]);
  });

  it("drops a match with a negation cue right before it, but not a question", () => {
    expect(find("我没有胸痛", "胸痛")).toEqual([]);
    expect(find("没有胸痛或者气短", "气短")).toEqual([]);
    expect(find("胸口不痛", "胸*痛")).toEqual([]);
    expect(find("是不是中风了", "中风")).toEqual(["中风"]);
    expect(find("我没有胸痛，但是气短", "气短")).toEqual(["气短"]);
  });
});

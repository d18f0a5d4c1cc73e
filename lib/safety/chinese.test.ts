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

describe("Chinese numbers, guards and pattern normalisation", () => {
  it("reads tablet counts, 'thirty-odd' and 'ten-odd'", () => {
    expect(normalizeChinese("吃了三十多片降压药")).toBe("吃了30片降压药");
    expect(normalizeChinese("抽了十几分钟")).toBe("抽了11分钟");
    expect(find("她吞了二十粒扑热息痛", "#9..粒")).toEqual(["20粒"]);
  });

  it("normalises a pattern's own text the way transcripts are", () => {
    expect(find("她第一次癫痫发作", "第一次")).toEqual(["第1次"]);
  });

  it("skips a match right after a leading `!a|b!` or right before a trailing `!a|b`", () => {
    expect(find("发烧两个月了", "!宝宝|孩子!#1..12个月")).toEqual(["2个月"]);
    expect(find("宝宝两个月，发烧", "!宝宝|孩子!#1..12个月")).toEqual([]);
    expect(find("两个月大的宝宝", "#1..12个月!大|的")).toEqual([]);
    expect(() => compileChinesePattern("胸!痛!口")).toThrow(/"!" only/);
  });
});

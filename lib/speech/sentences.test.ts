import { describe, expect, it } from "vitest";
import { SentenceBuffer, splitSentences } from "./sentences";

describe("splitSentences", () => {
  it("keeps decimals, times and abbreviations whole", () => {
    expect(
      splitSentences(
        "Your temperature is 38.5 degrees. Take paracetamol, e.g. Calpol, every 4 hours! Is it bad? Dr. Smith said no.\nCall us",
        "en",
      ),
    ).toEqual([
      "Your temperature is 38.5 degrees.",
      "Take paracetamol, e.g. Calpol, every 4 hours!",
      "Is it bad?",
      "Dr. Smith said no.",
      "Call us",
    ]);
    expect(splitSentences("The clinic opens at 8 a.m. and closes at 6 p.m. on weekdays. Call first.", "en")).toEqual([
      "The clinic opens at 8 a.m. and closes at 6 p.m. on weekdays.",
      "Call first.",
    ]);
  });

  it("keeps citation markers on the sentence they follow", () => {
    expect(splitSentences("Rest. [1] Drink water. [2][3] Then call.", "en")).toEqual([
      "Rest. [1]",
      "Drink water. [2][3]",
      "Then call.",
    ]);
  });

  it("splits Chinese on 。！？； but not at a question quoted inside a sentence", () => {
    expect(splitSentences("您好。体温38.5度！怎么办？请拨打999；谢谢", "zh")).toEqual([
      "您好。",
      "体温38.5度！",
      "怎么办？",
      "请拨打999；",
      "谢谢",
    ]);
    expect(splitSentences("在登录页面点击“忘记密码？”然后输入邮箱。[1]好的。", "zh")).toEqual([
      "在登录页面点击“忘记密码？”然后输入邮箱。[1]",
      "好的。",
    ]);
  });

  it("drops pieces with nothing to say", () => {
    expect(splitSentences("  \n ... \n", "en")).toEqual([]);
  });
});

describe("SentenceBuffer", () => {
  it("releases each sentence as soon as it is complete, citations included", () => {
    const b = new SentenceBuffer();
    expect(b.push("Rest and drink ")).toEqual([]);
    expect(b.push("water. [1] Call 999 if")).toEqual(["Rest and drink water. [1]"]);
    expect(b.push(" it spreads to your arm.")).toEqual([]);
    expect(b.push(" Then")).toEqual(["Call 999 if it spreads to your arm."]);
    expect(b.flush()).toEqual(["Then"]);
  });

  it("keeps a citation that arrives in the next delta on its sentence", () => {
    const b = new SentenceBuffer();
    expect(b.push("It locks after 5 tries.")).toEqual([]);
    expect(b.push(" ")).toEqual([]);
    expect(b.push("[1] Wait 15 minutes. [2]")).toEqual(["It locks after 5 tries. [1]"]);
    expect(b.push(" Then")).toEqual(["Wait 15 minutes. [2]"]);
    expect(b.flush()).toEqual(["Then"]);
  });

  it("does not cut at a time of day, keeps decimals whole and cuts Chinese without spaces", () => {
    const b = new SentenceBuffer();
    expect(b.push("Come at 8 a.m. and bring")).toEqual([]);
    expect(b.push(" your letter. A fever is 38.5 degrees or more. ")).toEqual([
      "Come at 8 a.m. and bring your letter.",
    ]);
    const zh = new SentenceBuffer("zh");
    expect(zh.push("请")).toEqual([]);
    expect(zh.push("多喝水。[1]如果发烧超过三天，请就医")).toEqual(["请多喝水。[1]"]);
    expect(zh.flush()).toEqual(["如果发烧超过三天，请就医"]);
  });
});

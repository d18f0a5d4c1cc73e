import { describe, expect, it } from "vitest";
import { CitationTracker, parseCitations } from "./citations";

const valid = [1, 2, 3, 4, 5];

describe("parseCitations", () => {
  it("reads single, listed, adjacent and full-width markers in order of first appearance", () => {
    expect(parseCitations("Fever is common [2]. Rest [1, 3] and drink [3][4].", valid)).toEqual([2, 1, 3, 4]);
    expect(parseCitations("发烧很常见【2】，请休息【1、3】[5，4]。", valid)).toEqual([2, 1, 3, 5, 4]);
  });

  it("expands short ranges", () => {
    expect(parseCitations("See [2-4].", valid)).toEqual([2, 3, 4]);
    expect(parseCitations("See [1-100].", valid)).toEqual([]);
  });

  it("ignores numbers of passages that do not exist and non-citation brackets", () => {
    expect(parseCitations("As said [7] and [0], call [2].", valid)).toEqual([2]);
    expect(parseCitations("An array [a, b] or [ ] or [1.5 mg].", valid)).toEqual([]);
  });
});

describe("CitationTracker", () => {
  it("finds markers split across chunks, each once", () => {
    const t = new CitationTracker(valid);
    expect(t.push("Rest well [")).toEqual([]);
    expect(t.push("1")).toEqual([]);
    expect(t.push(", 3] and again [1")).toEqual([1, 3]);
    expect(t.push("]. 【")).toEqual([]);
    expect(t.push("5】")).toEqual([5]);
    expect(t.citations).toEqual([1, 3, 5]);
  });

  it("does not hold back text behind a long-unclosed bracket", () => {
    const t = new CitationTracker(valid);
    t.push(`[${" ".repeat(40)}`);
    expect(t.push("[2]")).toEqual([2]);
  });
});

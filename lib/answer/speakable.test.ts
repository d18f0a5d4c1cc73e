import { describe, expect, it } from "vitest";
import { speakabilityIssues, speakabilityProblems, spokenSentences } from "./speakable";

const rules = (answer: string, citations: { docId: string }[] = [{ docId: "a.md" }]) =>
  speakabilityIssues(answer, citations).map((i) => i.rule);

describe("spokenSentences", () => {
  it("cuts at sentence stops, drops citation markers and keeps abbreviations whole", () => {
    expect(
      spokenSentences('It is called a "brain attack." Most often [1, 2] it is a clot. [2] See e.g. a rash.'),
    ).toEqual(['It is called a "brain attack."', "Most often it is a clot.", "See e.g. a rash."]);
    expect(spokenSentences("多喝水。[1] 如果持续三天以上，请就医。[2]")).toEqual([
      "多喝水。",
      "如果持续三天以上，请就医。",
    ]);
  });

  it("treats a line break as the end of what is said", () => {
    expect(spokenSentences("Symptoms\nA rash on one side.")).toEqual(["Symptoms", "A rash on one side."]);
  });
});

describe("speakabilityProblems", () => {
  it("passes a clean, cited answer in English and in Chinese", () => {
    expect(
      speakabilityProblems(
        "Shingles is a painful rash. [1] It usually appears on one side of the body (often the chest). [1] Ask your doctor about the vaccine. [2]",
        [{ docId: "shingles.md" }, { docId: "vaccines.md" }, { docId: "shingles.md" }],
      ),
    ).toEqual([]);
    expect(speakabilityProblems("发烧时多喝水。[1] 如果持续三天以上，请就医。[1]", [{ docId: "fever.md" }])).toEqual(
      [],
    );
  });

  it("accepts sentences opened by a lower-case name or an identifier, and questions a document lists", () => {
    expect(rules("npm will ask for a one-time password. [1] package.json lists your dependencies. [1]")).toEqual([]);
    expect(rules("iOS users can scan the code. [1] Do I feel unsteady? [1] Which key did you lose? [1]")).toEqual([]);
    expect(rules("Write to support@example.com if you are stuck. [1]")).toEqual([]);
    expect(rules("This is the token you sign in with. [1] Choose the plan you want to upgrade to. [1]")).toEqual([]);
  });

  it("finds a sentence said twice, also inside a longer one", () => {
    expect(rules("Wash your hands. [1] Wash your hands! [2]")).toContain("repeated-sentence");
    expect(
      rules(
        "The most common symptoms are a cough that does not go away and lots of mucus. [1] A cough that does not go away and lots of mucus. [1]",
      ),
    ).toContain("repeated-sentence");
    expect(rules("Rest often. [1] Rest often and drink water every hour of the day. [1]")).not.toContain(
      "repeated-sentence",
    );
  });

  it("finds fragments that start mid-sentence", () => {
    expect(rules("Shingles is a rash. [1] spreads to the nerves of the face. [1]")).toContain("lowercase-start");
    expect(rules("And if people do not get chickenpox, they cannot get shingles. [1]")).toContain("continuation-start");
    expect(rules("or you can ask your pharmacist. [1]")).toContain("lowercase-start");
    expect(rules("Such as pain in the chest. [1]")).toContain("continuation-start");
    expect(rules("Which means the rash spreads. [1]")).toContain("continuation-start");
    expect(rules(", including trouble getting to sleep. [1]")).toContain("punctuation-start");
    expect(rules("For example. if you are the sole owner you must add another. [1]")).toContain("lowercase-start");
  });

  it("finds fragments that stop mid-sentence", () => {
    expect(rules("Symptoms may include a fever and [1]")).toContain("no-terminal-punctuation");
    expect(rules("Call 911 if you notice any of the following: [1]")).toContain("colon-end");
    expect(rules("The treatment depends on the. [1]")).toContain("dangling-end");
    expect(rules("(Watch the video to learn more about glaucoma. [1]")).toContain("unbalanced-bracket");
  });

  it("finds page furniture", () => {
    expect(rules("More is at http://www.ninds.nih.gov/tbi/index.htm today. [1]")).toEqual(["url"]);
    expect(rules("More is at www.nih.gov for you. [1]")).toContain("web-address");
    expect(rules("Read nihseniorhealth.gov/stroke/toc.html for more. [1]")).toContain("web-address");
    expect(rules("Rest and drink water. Page 3 of 7 [1]")).toContain("page-number");
    expect(rules("Rest and drink water. [1] 12 [1]")).toContain("page-number");
    expect(rules("Treatments include • rest • fluids. [1]")).toContain("bullet-glyph");
    expect(rules("Treatments include o rest and o fluids. [1]")).toContain("bullet-glyph");
    expect(rules("Treatments include \uf0b7 rest. [1]")).toContain("bullet-glyph");
    expect(rules("Treatments include ▪ rest. [1]")).toContain("bullet-glyph");
    expect(rules("Wash often. [1] - Wipe from front to back after using the toilet. [1]")).toContain("bullet-glyph");
    expect(rules("Symptoms may include - a cough - a fever - a headache. [1]")).toContain("bullet-glyph");
    expect(rules("Plans differ. |---|---| [1]")).toContain("table-debris");
    expect(rules('Owners can do it. ["Remove members", "X", "", ""],. [1]')).toContain("table-debris");
    expect(rules('For more, see ["Configuring 2FA"][configure-2fa]. [1]')).toContain("markup");
    expect(rules("Read [the guide](https://example.com/guide) first. [1]")).toContain("markup");
    expect(rules("<Note>Back up your codes.</Note> [1]")).toContain("markup");
    expect(rules("Sign in first. < On the public registry you cannot do that. [1]")).toContain("markup");
    expect(rules("Common Symptoms The most common symptoms are a cough and mucus. [1]")).toContain("heading-run-in");
    expect(rules("Symptoms of Glaucoma Glaucoma can develop in one or both eyes. [1]")).toContain("heading-run-in");
  });

  it("reports one web address once, and knows which kind each rule is", () => {
    const issues = speakabilityIssues("Log in on https://registry.npmjs.org/login today. [1]", [{ docId: "a.md" }]);
    expect(issues.map((i) => [i.kind, i.rule])).toEqual([["furniture", "url"]]);
  });

  it("allows at most two cited documents", () => {
    const three = [{ docId: "a.md" }, { docId: "b.md" }, { docId: "a.md" }, { docId: "c.md" }];
    expect(speakabilityProblems("Rest at home. [1] Drink water. [2] Sleep well. [4]", three)).toEqual([
      "too-many-documents: cites 3 documents: a.md, b.md, c.md",
    ]);
    expect(speakabilityIssues("Rest at home. [1]", three, { maxDocuments: 3 })).toEqual([]);
  });

  it("flags an empty answer", () => {
    expect(rules("  [1] ")).toEqual(["empty"]);
  });
});

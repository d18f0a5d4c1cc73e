import { describe, expect, it } from "vitest";
import { planUploadNames, sameName, storedName } from "./names";

const stored = (entries: Record<string, string>) =>
  new Map(Object.entries(entries).map(([docId, source]) => [docId, { source }]));

describe("upload names against document ids", () => {
  it("reads the name a document was stored under, whatever folder the CLI recorded", () => {
    expect(storedName("knowledge/triage/docs/chest-pain.md")).toBe("chest-pain.md");
    expect(storedName("C:\\docs\\Report.md")).toBe("Report.md");
    expect(sameName("cafe\u0301.md", "caf\u00e9.md")).toBe(true); // the same name, decomposed or composed
    expect(sameName("Report.md", "report.md")).toBe(false);
  });

  it("refuses a file whose id is held by a stored document of another name, naming that document", () => {
    const plan = planUploadNames(["report.md", "a b.md"], stored({ "report.md": "Report.md", "a-b.md": "a-b.md" }), {
      replace: false,
    });
    expect(plan[0]).toMatchObject({
      docId: "report.md",
      conflict: {
        where: "stored",
        existing: "Report.md",
        message: expect.stringMatching(/^report\.md already holds 'Report\.md'; /),
      },
    });
    expect(plan[1]).toMatchObject({ docId: "a-b.md", conflict: { where: "stored", existing: "a-b.md" } });
    expect(plan[1]?.conflict?.message).toContain("replace=true");
  });

  it("lets the same name update its document, and a new name add one", () => {
    const plan = planUploadNames(
      ["Report.md", "chest-pain.md", "new.md"],
      stored({ "report.md": "Report.md", "chest-pain.md": "knowledge/triage/docs/chest-pain.md" }),
      { replace: false },
    );
    expect(plan.map((p) => p.conflict ?? p.replaces ?? null)).toEqual([null, null, null]);
  });

  it("with replace, lets a different name take over the stored document and says which one it replaces", () => {
    const [p] = planUploadNames(["report.md"], stored({ "report.md": "Report.md" }), { replace: true });
    expect(p).toEqual({ name: "report.md", docId: "report.md", replaces: "Report.md" });
  });

  it("refuses the later of two files of one upload that share an id, replace or not", () => {
    for (const replace of [false, true]) {
      const plan = planUploadNames(["a b.md", "a-b.md", "Other.md", "other.md", "x.md", "x.md"], new Map(), {
        replace,
      });
      expect(plan.map((p) => p.conflict?.where ?? null)).toEqual([null, "upload", null, "upload", null, "upload"]);
      expect(plan[1]?.conflict).toMatchObject({ existing: "a b.md", message: expect.stringContaining("'a-b.md'") });
    }
  });
});

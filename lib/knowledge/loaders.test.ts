import { describe, expect, it } from "vitest";
import { makeDocx, makePdf } from "@/lib/testing/documents";
import { parseDocument } from "./loaders";

const MB = 1024 * 1024;
const utf8 = (s: string) => new TextEncoder().encode(s);

describe("parseDocument", () => {
  it("reads PDF pages with their numbers and headings", async () => {
    const pdf = makePdf(
      [
        ["Fever in adults", "A temperature above 38 C is a fever."],
        ["Dehydration", "Signs include dark urine and dizziness."],
      ],
      { title: "Fever guide" },
    );
    const doc = await parseDocument("fever.pdf", pdf, MB);
    expect(doc.title).toBe("Fever guide");
    expect(doc.sections).toEqual([
      { text: "A temperature above 38 C is a fever.", heading: "Fever in adults", page: 1 },
      { text: "Signs include dark urine and dizziness.", heading: "Dehydration", page: 2 },
    ]);
  });

  it("keeps DOCX headings and detects Chinese", async () => {
    const doc = await parseDocument(
      "refund.docx",
      await makeDocx(["# 退款政策", "## 申请", "在购买后三十天内可以申请退款。"]),
      MB,
    );
    expect(doc).toMatchObject({ title: "退款政策", lang: "zh", format: "docx" });
    expect(doc.sections[0]).toMatchObject({ heading: "申请", text: "在购买后三十天内可以申请退款。" });
  });

  it("strips HTML boilerplate and keeps sections under headings", async () => {
    const html = `<html><head><title>Parking</title><style>p{}</style></head><body>
      <nav>Home | Contact</nav><h1>Parking</h1><p>Car park B is open 24 hours.</p>
      <h2>Prices</h2><ul><li>First hour free</li><li>Then 2 pounds an hour</li></ul><footer>© Hospital</footer></body></html>`;
    const doc = await parseDocument("parking.html", utf8(html), MB);
    expect(doc.title).toBe("Parking");
    expect(doc.sections).toEqual([
      { text: "Car park B is open 24 hours.", heading: "Parking", page: null },
      { text: "- First hour free\n- Then 2 pounds an hour", heading: "Prices", page: null },
    ]);
    expect(JSON.stringify(doc)).not.toContain("Contact");
  });

  it("reads Markdown headings and strips inline markup", async () => {
    const md =
      "# Password reset\n\nUse **Forgot password** on the [sign-in page](https://x).\n\n## Still stuck\n\n- Contact support\n";
    const doc = await parseDocument("reset.md", utf8(md), MB);
    expect(doc.title).toBe("Password reset");
    expect(doc.sections).toEqual([
      { text: "Use Forgot password on the sign-in page.", heading: "Password reset", page: null },
      { text: "- Contact support", heading: "Still stuck", page: null },
    ]);
  });

  it.each([
    ["empty.md", new Uint8Array(0), /empty \(0 bytes\)/],
    ["scan.exe", utf8("MZ"), /unsupported file type "\.exe"/],
    ["fake.pdf", utf8("just some text"), /not a PDF/],
    ["fake.docx", utf8("<html></html>"), /not a DOCX/],
    ["junk.txt", new Uint8Array([0x00, 0xff, 0x13, 0x37, 0x00]), /binary content/],
    ["latin1.md", new Uint8Array([0x63, 0x61, 0x66, 0xe9]), /not valid UTF-8/],
    ["broken.pdf", utf8("%PDF-1.4\n1 0 obj << garbage"), /PDF is damaged/],
    ["locked.pdf", makePdf([["secret"]], { encrypted: true }), /encrypted \(password-protected\)/],
    ["scanned.pdf", makePdf([[]]), /no extractable text/],
    ["blank.md", utf8("\n\n   \n"), /no readable text/],
  ])("refuses %s with a clear reason", async (name, bytes, reason) => {
    await expect(parseDocument(name, bytes, MB)).rejects.toThrow(reason);
  });

  it("refuses files over the size limit before parsing them", async () => {
    await expect(parseDocument("big.txt", new Uint8Array(2 * MB).fill(65), MB)).rejects.toThrow(
      /2\.0 MB, over the 1\.0 MB limit/,
    );
  });
});

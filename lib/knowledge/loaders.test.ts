import { describe, expect, it } from "vitest";
import { makeDocx, makePdf } from "@/lib/testing/documents";
import { docxElementFlood, docxParagraphFlood, docxZipBomb, plainDocx } from "@/lib/testing/docx-bombs";
import { DOCUMENT_LIMITS, parseDocument } from "./loaders";

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
    ["scanned.pdf", makePdf([[]]), /no extractable text \(no text layer, and no pictures to read with OCR\)/],
    ["photo.gif", utf8("GIF89a"), /unsupported file type "\.gif"; supported: .*\.png, \.jpg, \.jpeg/],
    ["photo.png", utf8("%PDF-1.4"), /not a PNG or JPEG image/],
    ["blank.md", utf8("\n\n   \n"), /no readable text/],
  ])("refuses %s with a clear reason", async (name, bytes, reason) => {
    await expect(parseDocument(name, bytes, MB)).rejects.toThrow(reason);
  });

  it("refuses files over the size limit before parsing them", async () => {
    await expect(parseDocument("big.txt", new Uint8Array(2 * MB).fill(65), MB)).rejects.toThrow(
      /2\.0 MB, over the 1\.0 MB limit/,
    );
  });

  it("reads a PDF longer than one extraction batch, page numbers and all", async () => {
    const pages = Array.from({ length: 60 }, (_, i) => [`Clinic ${i + 1}`, `Room ${i + 1} is on floor ${i % 5}.`]);
    const doc = await parseDocument("rooms.pdf", makePdf(pages), MB);
    expect(doc.sections).toHaveLength(60);
    expect(doc.sections[59]).toEqual({ text: "Room 60 is on floor 4.", heading: "Clinic 60", page: 60 });
  });
});

describe("parseDocument limits on what a file unpacks to", () => {
  it.each([
    ["declares", false],
    ["hides", true],
  ])("refuses a DOCX zip bomb that %s its 300 MB of XML", async (_, lie) => {
    const bomb = docxZipBomb({ mb: 300, lie });
    expect(bomb.length).toBeLessThan(MB); // the bomb is small; only what it inflates to is not
    await expect(parseDocument("bomb.docx", bomb, 25 * MB)).rejects.toThrow(
      "the DOCX expands to more than 64 MB of text markup; it looks like a zip bomb",
    );
  });

  it("refuses a small DOCX with 400,000 paragraphs before mammoth reads it", async () => {
    const flood = docxParagraphFlood(400_000);
    expect(flood.length).toBeLessThan(100 * 1024);
    await expect(parseDocument("flood.docx", flood, 25 * MB)).rejects.toThrow(
      "the DOCX has more than 50,000 paragraphs; split it into smaller documents",
    );
  });

  it("refuses a DOCX with a million XML elements in one paragraph", async () => {
    await expect(parseDocument("runs.docx", docxElementFlood(1_000_000), 25 * MB)).rejects.toThrow(
      "the DOCX has more than 500,000 XML elements",
    );
  });

  it("reads ordinary DOCX files up to the limits, ZIP64 records included", async () => {
    for (const zip64 of [false, true]) {
      const doc = await parseDocument(
        "memo.docx",
        plainDocx(["Ward 3 visiting hours", "are 2 pm to 8 pm."], { zip64 }),
        MB,
      );
      expect(doc.sections[0]?.text).toBe("Ward 3 visiting hours\nare 2 pm to 8 pm.");
    }
    const paragraphs = Array.from({ length: 1000 }, (_, i) => `Paragraph ${i}`);
    const limits = { ...DOCUMENT_LIMITS, docxParagraphs: 1000 };
    expect((await parseDocument("long.docx", plainDocx(paragraphs), MB, limits)).sections[0]?.text).toContain(
      "Paragraph 999",
    );
    await expect(parseDocument("long.docx", plainDocx([...paragraphs, "one more"]), MB, limits)).rejects.toThrow(
      /more than 1,000 paragraphs/,
    );
  });

  it("refuses a DOCX whose zip directory is cut off", async () => {
    const whole = plainDocx(["Some text"]);
    await expect(parseDocument("cut.docx", whole.subarray(0, whole.length - 30), MB)).rejects.toThrow(
      /DOCX is damaged/,
    );
  });

  it("refuses a PDF over the page limit before reading its pages", async () => {
    const pdf = makePdf(Array.from({ length: 2001 }, (_, i) => [`Page ${i + 1}`]));
    await expect(parseDocument("atlas.pdf", pdf, 25 * MB)).rejects.toThrow(
      "the PDF has 2,001 pages, over the 2,000-page limit; split it into smaller documents",
    );
  });

  it("refuses DOCX and PDF text over the extracted-text cap", async () => {
    const limits = { ...DOCUMENT_LIMITS, extractedChars: 5_000 };
    const line = "Visitors park in car park B; the first hour is free. ".repeat(20); // ~1,000 characters
    const docx = plainDocx(Array.from({ length: 6 }, () => line));
    await expect(parseDocument("long.docx", docx, MB, limits)).rejects.toThrow(
      "the DOCX holds more than 5,000 characters of text; split it into smaller documents",
    );
    // PDF lines must fit the page: 6 pages of 20 lines of ~53 characters.
    const sentence = "Visitors park in car park B; the first hour is free.";
    const pdf = makePdf(Array.from({ length: 6 }, () => Array.from({ length: 20 }, () => sentence)));
    await expect(parseDocument("long.pdf", pdf, MB, limits)).rejects.toThrow(
      "the PDF holds more than 5,000 characters of text",
    );
    await expect(parseDocument("short.pdf", makePdf([[sentence]]), MB, limits)).resolves.toMatchObject({
      format: "pdf",
    });
  });
});

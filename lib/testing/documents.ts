/**
 * Writers for small, real PDF and DOCX files used by tests (no fixtures to download or commit).
 */
import JSZip from "jszip";

export interface PdfOptions {
  encrypted?: boolean;
  title?: string;
  /**
   * An uncompressed RGB picture drawn under the first page's text (no /Filter, so the file is as large as its pixels:
   * width * height * 3 bytes), for tests that need a big but ordinary PDF.
   */
  image?: { width: number; height: number };
  /**
   * Pictures that fill whole pages, by page index (a scanned page: its text is in the pixels only). `data` is the
   * stream as stored: raw samples, or JPEG bytes with `filter: "DCTDecode"`, or zlib data with "FlateDecode".
   */
  pageImages?: (PdfPageImage | undefined)[];
}

export interface PdfPageImage {
  width: number;
  height: number;
  colorSpace: "DeviceGray" | "DeviceRGB";
  filter?: "DCTDecode" | "FlateDecode";
  data: Uint8Array;
}

/** A valid multi-page PDF with Helvetica text, one string per line. `encrypted` adds a Standard security handler. */
export function makePdf(pages: string[][], options: PdfOptions = {}): Uint8Array<ArrayBuffer> {
  const objects: (string | [string, Uint8Array])[] = [];
  const add = (body: string | [string, Uint8Array]) => {
    objects.push(body);
    return objects.length;
  };
  const catalog = add("");
  const pagesObj = add("");
  const font = add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  const image = options.image ? add(imageObject(options.image.width, options.image.height)) : 0;
  const kids: number[] = [];
  pages.forEach((lines, p) => {
    const esc = (s: string) => s.replace(/[\\()]/g, (m) => `\\${m}`);
    let picture = image && p === 0 ? "q 468 0 0 468 72 100 cm /Im1 Do Q\n" : "";
    let xobject = image && p === 0 ? ` /XObject << /Im1 ${image} 0 R >>` : "";
    const scan = options.pageImages?.[p];
    if (scan) {
      const filter = scan.filter ? ` /Filter /${scan.filter}` : "";
      const obj = add([
        `<< /Type /XObject /Subtype /Image /Width ${scan.width} /Height ${scan.height} /ColorSpace /${scan.colorSpace} /BitsPerComponent 8${filter} /Length ${scan.data.byteLength} >>`,
        scan.data,
      ]);
      picture = "q 612 0 0 792 0 0 cm /Scan Do Q\n";
      xobject = ` /XObject << /Scan ${obj} 0 R >>`;
    }
    const ops = picture + lines.map((l, i) => `BT /F1 12 Tf 72 ${720 - i * 18} Td (${esc(l)}) Tj ET`).join("\n");
    const content = add(`<< /Length ${new TextEncoder().encode(ops).byteLength} >>\nstream\n${ops}\nendstream`);
    kids.push(
      add(
        `<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font} 0 R >>${xobject} >> /Contents ${content} 0 R >>`,
      ),
    );
  });
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesObj} 0 R >>`;
  objects[pagesObj - 1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`;
  const info = options.title ? add(`<< /Title (${options.title}) >>`) : 0;
  const encrypt = options.encrypted
    ? add(`<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 /O <${"ab".repeat(32)}> /U <${"cd".repeat(32)}> >>`)
    : 0;

  // Assembled as bytes: xref offsets count bytes, and an image stream is binary.
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  let size = 0;
  const write = (chunk: string | Uint8Array) => {
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    parts.push(bytes);
    size += bytes.byteLength;
  };
  write("%PDF-1.4\n");
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(size);
    write(`${i + 1} 0 obj\n`);
    if (typeof body === "string") write(body);
    else {
      write(`${body[0]}\nstream\n`);
      write(body[1]);
      write("\nendstream");
    }
    write("\nendobj\n");
  });
  const xref = size;
  write(`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`);
  for (const o of offsets) write(`${String(o).padStart(10, "0")} 00000 n \n`);
  const extra = `${info ? ` /Info ${info} 0 R` : ""}${encrypt ? ` /Encrypt ${encrypt} 0 R /ID [<${"01".repeat(16)}> <${"01".repeat(16)}>]` : ""}`;
  write(`trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R${extra} >>\nstartxref\n${xref}\n%%EOF\n`);
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** An image XObject of diagonal colour bands, stored raw. */
function imageObject(width: number, height: number): [string, Uint8Array] {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 3) {
      pixels[i] = (x + y) & 0xff;
      pixels[i + 1] = (x * 3) & 0xff;
      pixels[i + 2] = (y * 5) & 0xff;
    }
  }
  return [
    `<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length ${pixels.byteLength} >>`,
    pixels,
  ];
}

/** A minimal Word document: `# ` lines become Heading 1, `## ` Heading 2, others paragraphs. */
export async function makeDocx(lines: string[]): Promise<Uint8Array> {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const paras = lines
    .map((l) => {
      const m = /^(#{1,2}) (.*)$/.exec(l);
      const style = m ? `<w:pPr><w:pStyle w:val="Heading${m[1]!.length}"/></w:pPr>` : "";
      return `<w:p>${style}<w:r><w:t xml:space="preserve">${esc(m ? m[2]! : l)}</w:t></w:r></w:p>`;
    })
    .join("");
  const zip = new JSZip();
  zip.file(
    "[Content_Types].xml",
    `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>`,
  );
  zip.file(
    "_rels/.rels",
    `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
  );
  zip.file(
    "word/_rels/document.xml.rels",
    `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
  );
  zip.file(
    "word/styles.xml",
    `<?xml version="1.0" encoding="UTF-8"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/></w:style></w:styles>`,
  );
  zip.file(
    "word/document.xml",
    `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${paras}</w:body></w:document>`,
  );
  return zip.generateAsync({ type: "uint8array" });
}

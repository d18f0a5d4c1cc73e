/**
 * DOCX files made to exhaust a parser, for tests: a zip bomb (one run of text inflating to hundreds of MB), floods of
 * paragraphs or XML elements in a small zip, and zip directories that lie about sizes. Written straight to the zip
 * format with node:zlib: a repeated piece is deflated once and its compressed block repeated, so a 300 MB bomb costs
 * a few hundred KB and no 300 MB buffer is ever made here.
 */
import { constants, crc32, deflateRawSync } from "node:zlib";

/** A piece of an entry's content, `times` times in a row (1 by default). */
interface Piece {
  text: string;
  times?: number;
}

interface ZipPart {
  name: string;
  pieces: Piece[];
  /** The uncompressed size the zip records for this entry, when it should lie. */
  declaredSize?: number;
}

const MB = 1024 * 1024;

/** A DOCX whose body is one paragraph of `mb` MB of the letter A (deflated ~1000:1). */
export function docxZipBomb(options: { mb?: number; lie?: boolean } = {}): Uint8Array {
  const mb = options.mb ?? 300;
  return docxWith(
    [{ text: "<w:p><w:r><w:t>" }, { text: "A".repeat(MB), times: mb }, { text: "</w:t></w:r></w:p>" }],
    options.lie ? 4096 : undefined,
  );
}

/** A DOCX with `count` short paragraphs (400,000 compress to well under 100 KB). */
export function docxParagraphFlood(count = 400_000): Uint8Array {
  return docxWith(repeated("<w:p><w:r><w:t>x</w:t></w:r></w:p>", count));
}

/** A DOCX with one paragraph of `runs` runs, two XML elements each (run and text). */
export function docxElementFlood(runs = 1_000_000): Uint8Array {
  return docxWith([{ text: "<w:p>" }, ...repeated("<w:r><w:t>x</w:t></w:r>", runs), { text: "</w:p>" }]);
}

/** An ordinary DOCX of the given paragraphs, optionally written with ZIP64 records. */
export function plainDocx(paragraphs: string[], options: { zip64?: boolean } = {}): Uint8Array {
  const body = paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${p}</w:t></w:r></w:p>`).join("");
  return docxWith([{ text: body }], undefined, options);
}

/** `unit` n times, as few pieces as possible (one block of 1,000 units, repeated, plus the remainder). */
function repeated(unit: string, n: number): Piece[] {
  const block = 1000;
  const pieces: Piece[] = [];
  if (n >= block) pieces.push({ text: unit.repeat(block), times: Math.floor(n / block) });
  if (n % block) pieces.push({ text: unit.repeat(n % block) });
  return pieces;
}

function docxWith(body: Piece[], declaredSize?: number, options: { zip64?: boolean } = {}): Uint8Array {
  const head =
    '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>';
  return writeZip(
    [
      {
        name: "[Content_Types].xml",
        pieces: [
          {
            text: '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
          },
        ],
      },
      {
        name: "_rels/.rels",
        pieces: [
          {
            text: '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
          },
        ],
      },
      {
        name: "word/document.xml",
        pieces: [{ text: head }, ...body, { text: "</w:body></w:document>" }],
        declaredSize,
      },
    ],
    options,
  );
}

/** A zip of DEFLATE entries (ZIP64 records when asked), each piece deflated once however often it repeats. */
function writeZip(parts: ZipPart[], options: { zip64?: boolean } = {}): Uint8Array {
  const out: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    out.push(b);
    offset += b.length;
  };
  const central: Buffer[] = [];
  for (const part of parts) {
    let size = 0;
    let crc = 0;
    const blocks: Buffer[] = [];
    for (const { text, times = 1 } of part.pieces) {
      const raw = Buffer.from(text, "utf8");
      // A sync flush ends the piece on a byte boundary with no final-block bit, so copies can follow one another.
      const block = deflateRawSync(raw, { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
      for (let i = 0; i < times; i++) {
        blocks.push(block);
        crc = crc32(raw, crc);
      }
      size += raw.length * times;
    }
    blocks.push(deflateRawSync(Buffer.alloc(0))); // the final (empty) block
    const compressed = blocks.reduce((n, b) => n + b.length, 0);
    const declared = part.declaredSize ?? size;
    const name = Buffer.from(part.name, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(compressed, 18);
    local.writeUInt32LE(declared, 22);
    local.writeUInt16LE(name.length, 26);
    const localOffset = offset;
    push(local);
    push(name);
    for (const b of blocks) push(b);

    const extra = Buffer.alloc(options.zip64 ? 28 : 0);
    if (options.zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(declared), 4);
      extra.writeBigUInt64LE(BigInt(compressed), 12);
      extra.writeBigUInt64LE(BigInt(localOffset), 20);
    }
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(options.zip64 ? 45 : 20, 4);
    entry.writeUInt16LE(options.zip64 ? 45 : 20, 6);
    entry.writeUInt16LE(8, 10);
    entry.writeUInt32LE(crc >>> 0, 16);
    entry.writeUInt32LE(options.zip64 ? 0xffffffff : compressed, 20);
    entry.writeUInt32LE(options.zip64 ? 0xffffffff : declared, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt16LE(extra.length, 30);
    entry.writeUInt32LE(options.zip64 ? 0xffffffff : localOffset, 42);
    central.push(entry, name, extra);
  }
  const dirOffset = offset;
  for (const b of central) push(b);
  const dirSize = offset - dirOffset;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  if (options.zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(parts.length), 24);
    record.writeBigUInt64LE(BigInt(parts.length), 32);
    record.writeBigUInt64LE(BigInt(dirSize), 40);
    record.writeBigUInt64LE(BigInt(dirOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset), 8);
    locator.writeUInt32LE(1, 16);
    push(record);
    push(locator);
    end.writeUInt16LE(0xffff, 8);
    end.writeUInt16LE(0xffff, 10);
    end.writeUInt32LE(0xffffffff, 12);
    end.writeUInt32LE(0xffffffff, 16);
  } else {
    end.writeUInt16LE(parts.length, 8);
    end.writeUInt16LE(parts.length, 10);
    end.writeUInt32LE(dirSize, 12);
    end.writeUInt32LE(dirOffset, 16);
  }
  push(end);
  return new Uint8Array(Buffer.concat(out));
}

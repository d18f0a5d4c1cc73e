import { RecursiveCharacterTextSplitter } from "@langchain/textsplitters";
import type { Section } from "./loaders";

export interface ChunkDraft {
  ord: number;
  text: string;
  heading: string;
  page: number | null;
  /** Character offsets into the document's extracted text (sections joined by a blank line). */
  start: number;
  end: number;
}

const HAN = /[\u3400-\u9fff\uf900-\ufaff]/g;

/**
 * Splits sections into overlapping chunks. A Han character counts as three, so a Chinese chunk carries about
 * as much meaning as an English one of the same configured size.
 */
export async function splitSections(
  sections: Section[],
  opts: { chunkSize: number; chunkOverlap: number },
): Promise<ChunkDraft[]> {
  const splitter = new RecursiveCharacterTextSplitter({
    chunkSize: opts.chunkSize,
    chunkOverlap: opts.chunkOverlap,
    separators: ["\n\n", "\n", "。", "！", "？", ". ", "! ", "? ", "；", "; ", "，", ", ", " ", ""],
    lengthFunction: (s: string) => s.length + 2 * (s.match(HAN)?.length ?? 0),
  });
  const chunks: ChunkDraft[] = [];
  let offset = 0;
  for (const section of sections) {
    const pieces = await splitter.splitText(section.text);
    let cursor = 0;
    for (const piece of pieces) {
      const text = piece.trim();
      if (!text) continue;
      // Overlap means a piece may begin before the previous one ended: search from a little earlier.
      let at = section.text.indexOf(text, Math.max(0, cursor - opts.chunkOverlap - 1));
      if (at < 0) at = section.text.indexOf(text);
      if (at < 0) at = cursor;
      cursor = at + text.length;
      chunks.push({
        ord: chunks.length,
        text,
        heading: section.heading,
        page: section.page,
        start: offset + at,
        end: offset + at + text.length,
      });
    }
    offset += section.text.length + 2;
  }
  return chunks;
}

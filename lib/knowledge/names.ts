import { docIdFor } from "./index";

/**
 * Uploaded file names against document ids. `docIdFor` folds case and punctuation (`Report.md` and `report.md`,
 * `a b.md` and `a-b.md` are one id), so two different files can land on one document and the second would silently
 * replace the first. These functions find such collisions before anything is written; they do no I/O.
 */

/** The file name a stored document was uploaded under: its `source` without any folder (the CLI stores a path). */
export function storedName(source: string): string {
  return (source.split(/[\\/]/).pop() ?? "").trim().normalize("NFC");
}

/** Whether two names are the same upload name (so a re-upload updates the document, as before). */
export function sameName(a: string, b: string): boolean {
  return storedName(a) === storedName(b);
}

export interface NameConflict {
  docId: string;
  /** The name that already holds `docId`: a stored document's, or an earlier file's in the same upload. */
  existing: string;
  /** `stored`: uploading with `replace=true` replaces that document; `upload`: refused whatever `replace` says. */
  where: "stored" | "upload";
  message: string;
}

export interface PlannedName {
  name: string;
  docId: string;
  /** Set when the file must be refused. */
  conflict?: NameConflict;
  /** Set when `replace` lets the file replace a document stored under another name. */
  replaces?: string;
}

/**
 * Each uploaded name with its document id, and a conflict when the id is already held by a stored document under a
 * different name (unless `replace`), or by an earlier file of the same upload. Two files of one upload for one id
 * are always refused: which of them the admin meant to keep cannot be known, and `replace` is about stored ones.
 */
export function planUploadNames(
  names: readonly string[],
  stored: ReadonlyMap<string, { source: string }>,
  options: { replace: boolean },
): PlannedName[] {
  const seen = new Map<string, string>();
  return names.map((name) => {
    const docId = docIdFor(name);
    const earlier = seen.get(docId);
    if (earlier !== undefined) {
      return {
        name,
        docId,
        conflict: {
          docId,
          existing: earlier,
          where: "upload",
          message: `${docId} would hold both '${earlier}' and '${name}' of this upload: rename one of them`,
        },
      };
    }
    seen.set(docId, name);
    const held = stored.get(docId);
    if (!held || sameName(held.source, name)) return { name, docId };
    const existing = storedName(held.source);
    if (options.replace) return { name, docId, replaces: existing };
    return {
      name,
      docId,
      conflict: {
        docId,
        existing,
        where: "stored",
        message: `${docId} already holds '${existing}'; '${name}' would replace it: rename the file, or upload it again with replace=true to replace '${existing}'`,
      },
    };
  });
}

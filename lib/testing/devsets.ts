/**
 * The third-party development sets in `../shared/devsets/<name>/` (see its README): `docs/` to ingest and
 * `questions.jsonl`, one question a line. Odd lines (1st, 3rd, ...) are the tuning half, even lines the reporting
 * half: tune on the first, report the second.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

export type DevsetKind = "answerable" | "paraphrase" | "unanswerable";
export type DevsetHalf = "tuning" | "reporting";
export const DEVSET_HALVES: readonly DevsetHalf[] = ["tuning", "reporting"];
export const DEVSET_KINDS: readonly DevsetKind[] = ["answerable", "paraphrase", "unanswerable"];

export interface DevsetQuestion {
  /** 1-based line number in questions.jsonl. */
  line: number;
  half: DevsetHalf;
  q: string;
  kind: DevsetKind;
  /** The README's `doc` pattern for the one answering document; null for unanswerable questions. */
  doc: RegExp | null;
}

export interface Devset {
  /** The set's folder name (`medical`, `support`). */
  name: string;
  dir: string;
  docsDir: string;
  /** The persona whose settings, synonyms and safety rules serve the set. */
  persona: string;
  questions: DevsetQuestion[];
}

/** Which product persona answers each set by default. */
export const DEVSET_PERSONAS: Readonly<Record<string, string>> = { medical: "triage", support: "support" };

const LineSchema = z.object({
  q: z.string().min(1),
  kind: z.enum(["answerable", "paraphrase", "unanswerable"]),
  doc: z.string().min(1).optional(),
});

/** Odd lines tune, even lines report. */
export function halfOfLine(line: number): DevsetHalf {
  return line % 2 === 1 ? "tuning" : "reporting";
}

/**
 * Parses a questions.jsonl text. Blank lines are skipped but keep their number, so halves follow the file's own
 * line numbers. Answerable and paraphrase lines must name their document; `topic` and `src` (provenance) are not kept.
 */
export function parseDevsetQuestions(text: string, file = "questions.jsonl"): DevsetQuestion[] {
  const out: DevsetQuestion[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new Error(`${file}:${line}: not JSON (${(err as Error).message})`);
    }
    const parsed = LineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${file}:${line}: ${issue?.path.join(".") || "line"}: ${issue?.message}`);
    }
    const { q, kind, doc } = parsed.data;
    if (kind !== "unanswerable" && !doc) throw new Error(`${file}:${line}: an ${kind} question needs "doc"`);
    let pattern: RegExp | null = null;
    if (kind !== "unanswerable" && doc) {
      try {
        pattern = new RegExp(doc);
      } catch (err) {
        throw new Error(`${file}:${line}: bad "doc" pattern (${(err as Error).message})`);
      }
    }
    out.push({ line, half: halfOfLine(line), q, kind, doc: pattern });
  });
  return out;
}

/**
 * Does a retrieved document match the question's `doc` pattern? The pattern is anchored at a `/` or the start, so
 * it is tried on the document id (the file name) and on its source path.
 */
export function matchesDoc(question: Pick<DevsetQuestion, "doc">, doc: { docId: string; source?: string }): boolean {
  if (!question.doc) return false;
  const candidates = [doc.docId, doc.source?.replace(/\\/g, "/")].filter((s): s is string => !!s);
  return candidates.some((s) => question.doc!.test(s));
}

type Halved = { half: DevsetHalf } | { question: { half: DevsetHalf } };

/** Questions, or outcomes that carry their question, split into the two halves (file order kept). */
export function byHalf<T extends Halved>(items: readonly T[]): Record<DevsetHalf, T[]> {
  const half = (x: Halved) => ("half" in x ? x.half : x.question.half);
  return {
    tuning: items.filter((x) => half(x) === "tuning"),
    reporting: items.filter((x) => half(x) === "reporting"),
  };
}

/** Reads `<dir>/questions.jsonl` and checks `<dir>/docs`; the persona comes from the folder name unless given. */
export async function loadDevset(dir: string, options: { persona?: string } = {}): Promise<Devset> {
  const abs = path.resolve(dir);
  const name = path.basename(abs);
  const docsDir = path.join(abs, "docs");
  const isDir = await stat(docsDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new Error(`${docsDir} is not a folder: --set wants a devset folder with docs/ and questions.jsonl`);
  const file = path.join(abs, "questions.jsonl");
  const text = await readFile(file, "utf8").catch(() => {
    throw new Error(`cannot read ${file}`);
  });
  const persona = options.persona ?? DEVSET_PERSONAS[name];
  if (!persona) throw new Error(`no persona for the set "${name}": pass --persona (known sets: medical, support)`);
  return { name, dir: abs, docsDir, persona, questions: parseDevsetQuestions(text, file) };
}

/** The command-line options both eval scripts share: `--set <dir>`, `--persona <id>`, `--json`, `--verbose`. */
export interface DevsetArgs {
  set: string | null;
  persona: string | undefined;
  json: boolean;
  verbose: boolean;
  /** Use the configured engines (EMBEDDER, LLM_ENGINE) instead of the defaults: hashed embedder, extractive. */
  configuredEngines: boolean;
}

export function parseDevsetArgs(argv: readonly string[]): DevsetArgs {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    if (i >= 0) {
      const v = argv[i + 1];
      if (!v || v.startsWith("--")) throw new Error(`${flag} needs a value`);
      return v;
    }
    const eq = argv.find((a) => a.startsWith(`${flag}=`));
    return eq?.slice(flag.length + 1);
  };
  return {
    set: value("--set") ?? null,
    persona: value("--persona"),
    json: argv.includes("--json"),
    verbose: argv.includes("--verbose") || argv.includes("--show-failures"),
    configuredEngines: argv.includes("--configured-engines"),
  };
}

/** A percentage with its count: "72.5% (29/40)". */
export function pctOf(share: number, n: number): string {
  return n ? `${(share * 100).toFixed(1)}% (${Math.round(share * n)}/${n})` : "–";
}

/** Rows of [label, tuning, reporting] as a plain-text table under clearly labelled half headers. */
export function halvesTable(rows: [string, string, string][], counts: Record<DevsetHalf, number>): string {
  const head: [string, string, string] = [
    "",
    `TUNING half (odd lines, ${counts.tuning} q)`,
    `REPORTING half (even lines, ${counts.reporting} q)`,
  ];
  const all = [head, ...rows];
  const w = [0, 1, 2].map((c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => `  ${r[0].padEnd(w[0]!)}   ${r[1].padEnd(w[1]!)}   ${r[2]}`.trimEnd()).join("\n");
}

/**
 * Knowledge-base command line: npm run kb -- <ingest|list|remove|search|reindex> --persona P ...
 */
import { parseArgs } from "node:util";
import { AppError } from "@/lib/errors";
import { KnowledgeBase } from "@/lib/knowledge";

const USAGE = `usage: npm run kb -- <command> --persona P ...
  ingest  --persona P <files or folders...>
  list    --persona P [--json]
  remove  --persona P <docId>
  search  --persona P [--k N] [--json] "question"
  reindex --persona P`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      persona: { type: "string", short: "p" },
      k: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (!values.persona) throw new AppError("bad_request", `--persona is required\n${USAGE}`);
  const kb = await KnowledgeBase.open(values.persona);

  switch (command) {
    case "ingest": {
      if (!rest.length) throw new AppError("bad_request", "ingest needs at least one file or folder");
      const reports = await kb.ingestPaths(rest);
      for (const r of reports) {
        const detail = r.status === "error" ? r.error : `${r.chunks ?? "-"} chunks, ${r.pages ?? "-"} pages`;
        console.log(
          `${r.status.padEnd(9)} ${r.docId.padEnd(40)} ${r.status === "unchanged" ? "" : detail} (${r.ms} ms)`,
        );
      }
      const failed = reports.filter((r) => r.status === "error").length;
      console.log(
        `${reports.length - failed} ok, ${failed} failed; ${await kb.store.countChunks()} chunks in ${values.persona}`,
      );
      return failed ? 1 : 0;
    }
    case "list": {
      const docs = await kb.list();
      if (values.json) console.log(JSON.stringify({ documents: docs }, null, 2));
      else {
        for (const d of docs)
          console.log(
            `${d.docId.padEnd(40)} ${d.format.padEnd(5)} ${d.lang} ${String(d.chunks).padStart(4)} chunks  ${d.title}`,
          );
        console.log(`${docs.length} documents`);
      }
      return 0;
    }
    case "remove": {
      const docId = rest[0];
      if (!docId) throw new AppError("bad_request", "remove needs a document id (see `list`)");
      const n = await kb.remove(docId);
      console.log(`removed ${docId} (${n} chunks)`);
      return 0;
    }
    case "search": {
      const question = rest.join(" ").trim();
      if (!question) throw new AppError("bad_request", "search needs a question");
      const k = values.k ? Number.parseInt(values.k, 10) : undefined;
      if (k !== undefined && !(k > 0)) throw new AppError("bad_request", "--k must be a positive number");
      const res = await kb.search(question, { k });
      if (values.json) {
        const results = res.results.map((r) => ({
          docId: r.docId,
          title: r.title,
          source: r.source,
          page: r.page,
          heading: r.heading,
          text: r.text,
          score: r.score,
        }));
        console.log(JSON.stringify({ results, confidence: res.confidence }, null, 2));
      } else {
        console.log(
          `confidence ${res.confidence.toFixed(2)}${res.query.added.length ? `; also searched: ${res.query.added.join(", ")}` : ""}`,
        );
        res.results.forEach((r, i) => {
          const where = [r.page ? `p.${r.page}` : "", r.heading].filter(Boolean).join(", ");
          console.log(`\n[${i + 1}] ${r.title} (${r.docId}${where ? `, ${where}` : ""}) score ${r.score}`);
          console.log(`    ${r.text.replace(/\s+/g, " ").slice(0, 300)}`);
        });
      }
      return 0;
    }
    case "reindex": {
      const n = await kb.reindex();
      console.log(`re-embedded ${n} chunks with ${kb.store.embedder.id}`);
      return 0;
    }
    default:
      throw new AppError("bad_request", `unknown command "${command}"\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`kb: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof AppError && err.code === "bad_request" ? 2 : 1);
  },
);

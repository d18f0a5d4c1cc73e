import "server-only";
import path from "node:path";
import { AppError } from "@/lib/errors";
import { CATALOG, type ModelEntry } from "./catalog";
import { type DownloadProgress, downloadFile } from "./downloader";

export interface PullOptions {
  /** Catalog ids or kinds ("llm", "asr", ...); empty means everything. */
  select: string[];
  baseUrl: string;
  modelsDir: string;
  log: (line: string) => void;
  progress?: (p: DownloadProgress, label: string) => void;
  signal?: AbortSignal;
}

export function selectModels(select: string[]): ModelEntry[] {
  if (!select.length || select.includes("all")) return CATALOG;
  const chosen = CATALOG.filter((m) => select.includes(m.id) || select.includes(m.kind));
  const unknown = select.filter((s) => !CATALOG.some((m) => m.id === s || m.kind === s));
  if (unknown.length) {
    const names = [...new Set(CATALOG.flatMap((m) => [m.kind, m.id]))].join(", ");
    throw new AppError("bad_request", `unknown model "${unknown.join(", ")}"; choose from: all, ${names}`);
  }
  return chosen;
}

/** Installs the selected models file by file; a file already present with the right checksum is skipped. */
export async function pullModels(opts: PullOptions): Promise<void> {
  for (const model of selectModels(opts.select)) {
    let announced = false;
    for (const f of model.files) {
      const url = `${opts.baseUrl.replace(/\/$/, "")}/${model.repo}/resolve/${model.revision}/${f.path}`;
      const dest = path.join(opts.modelsDir, f.to);
      const outcome = await downloadFile({
        url,
        dest,
        sha256: f.sha256,
        signal: opts.signal,
        onProgress: (p) => opts.progress?.(p, f.to),
      });
      if (!announced) opts.log(`${model.id} (${model.licence}): ${model.description}`);
      announced = true;
      opts.log(`  ${outcome.padEnd(10)} ${f.to}`);
    }
  }
}

/** A one-line progress bar for terminals; other outputs get a line per quarter. */
export function progressPrinter(stream: NodeJS.WriteStream): (p: DownloadProgress, label: string) => void {
  let lastQuarter = -1;
  const started = Date.now();
  return (p, label) => {
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const share = p.total ? p.received / p.total : 0;
    const rate = (p.received - p.resumedFrom) / Math.max(0.001, (Date.now() - started) / 1000);
    const text = `${label} ${p.total ? `${(share * 100).toFixed(0).padStart(3)}%` : ""} ${mb(p.received)}${p.total ? `/${mb(p.total)}` : ""} MB ${mb(rate)} MB/s${p.resumedFrom ? " (resumed)" : ""}`;
    if (stream.isTTY) {
      const width = 24;
      const bar = "=".repeat(Math.round(share * width)).padEnd(width);
      stream.write(`\r  [${bar}] ${text}`);
      if (p.total && p.received >= p.total) stream.write("\n");
    } else {
      const quarter = Math.floor(share * 4);
      if (quarter !== lastQuarter) {
        lastQuarter = quarter;
        stream.write(`  ${text}\n`);
      }
    }
  };
}

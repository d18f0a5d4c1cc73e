"use client";
import { type DragEvent, useCallback, useEffect, useRef, useState } from "react";
import type { IngestReport } from "@/lib/knowledge";
import type { NameConflict } from "@/lib/knowledge/names";
import type { DocumentInfo } from "@/lib/knowledge/store";
import { formatBytes, kbFetch } from "./api";
import { LocalTime } from "./local-time";

const EXTENSIONS = [".pdf", ".docx", ".html", ".htm", ".md", ".txt", ".png", ".jpg", ".jpeg"];
const CONCURRENCY = 2;

type UploadState = "queued" | "uploading" | "processing" | IngestReport["status"];

/** A file's result from the upload route; `conflict` when its name maps onto a document of another name. */
type UploadReport = IngestReport & { conflict?: NameConflict };

interface UploadItem {
  key: string;
  file: File;
  state: UploadState;
  progress: number;
  message?: string;
  chunks?: number;
  warnings?: string[];
  /** The stored document's name, when this file was refused because it would replace it. */
  wouldReplace?: string;
  /** Sent with `replace=true`: the admin chose to replace the document `wouldReplace` names. */
  replace?: boolean;
}

interface ChunkPreview {
  docId: string;
  title: string;
  chunks: { id: string; ord: number; heading: string; page: number | null; text: string }[];
}

const STATE_LABEL: Record<UploadState, { text: string; tone: string }> = {
  queued: { text: "Queued", tone: "" },
  uploading: { text: "Uploading", tone: "badge-info" },
  processing: { text: "Indexing", tone: "badge-info" },
  added: { text: "Added", tone: "badge-ok" },
  updated: { text: "Updated", tone: "badge-ok" },
  unchanged: { text: "Unchanged", tone: "" },
  error: { text: "Failed", tone: "badge-error" },
};

/** One file per request, so each has its own progress bar and its own result. */
function uploadOne(
  url: string,
  file: File,
  replace: boolean,
  onProgress: (fraction: number) => void,
): Promise<{ ok: true; report: UploadReport } | { ok: false; message: string; status: number }> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.upload.onload = () => onProgress(1);
    xhr.onload = () => {
      const body = xhr.response;
      if (xhr.status === 200 && body?.results?.[0]) resolve({ ok: true, report: body.results[0] });
      else resolve({ ok: false, status: xhr.status, message: body?.error?.message ?? `upload failed (${xhr.status})` });
    };
    xhr.onerror = () =>
      resolve({ ok: false, status: 0, message: "network error: the upload did not reach the server" });
    const form = new FormData();
    form.append("files", file, file.name);
    if (replace) form.append("replace", "true");
    xhr.send(form);
  });
}

export function KnowledgeBaseManager({
  personaId,
  initialDocuments,
  maxFileMb,
}: {
  personaId: string;
  initialDocuments: DocumentInfo[];
  maxFileMb: number;
}) {
  const base = `/api/kb/${personaId}`;
  const [documents, setDocuments] = useState(initialDocuments);
  const [uploads, setUploads] = useState<UploadItem[]>([]);
  const [dragOver, setDragOver] = useState(false);
  const [notice, setNotice] = useState<{ tone: "error" | "info"; text: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [preview, setPreview] = useState<ChunkPreview | null>(null);
  const [confirm, setConfirm] = useState<DocumentInfo | null>(null);
  const previewRef = useRef<HTMLDialogElement>(null);
  const confirmRef = useRef<HTMLDialogElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const queue = useRef<UploadItem[]>([]);
  const running = useRef(0);

  const refresh = useCallback(async () => {
    try {
      const body = await kbFetch<{ documents: DocumentInfo[] }>(`${base}/documents`);
      setDocuments(body.documents);
    } catch (err) {
      setNotice({ tone: "error", text: (err as Error).message });
    }
  }, [base]);

  const patch = useCallback((key: string, change: Partial<UploadItem>) => {
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...change } : u)));
  }, []);

  const pump = useCallback(() => {
    while (running.current < CONCURRENCY && queue.current.length) {
      const item = queue.current.shift()!;
      running.current++;
      patch(item.key, { state: "uploading" });
      uploadOne(`${base}/documents`, item.file, item.replace === true, (f) =>
        patch(item.key, f >= 1 ? { progress: 1, state: "processing" } : { progress: f }),
      ).then((r) => {
        running.current--;
        if (r.ok) {
          const { report } = r;
          patch(item.key, {
            state: report.status,
            progress: 1,
            message: report.error,
            chunks: report.chunks,
            warnings: report.warnings,
            wouldReplace: report.conflict?.where === "stored" ? report.conflict.existing : undefined,
          });
          if (r.report.status === "added" || r.report.status === "updated") void refresh();
        } else {
          if (r.status === 401) window.location.assign(`/admin/login?callbackUrl=/admin/${personaId}`);
          patch(item.key, { state: "error", message: r.message });
        }
        pump();
      });
    }
  }, [base, patch, personaId, refresh]);

  const addFiles = useCallback(
    (files: FileList | File[]) => {
      const items: UploadItem[] = [];
      for (const file of Array.from(files)) {
        const key = `${file.name}-${file.size}-${file.lastModified}-${Math.random().toString(36).slice(2, 8)}`;
        const dot = file.name.lastIndexOf(".");
        const ext = dot > 0 ? file.name.slice(dot).toLowerCase() : "";
        let message: string | undefined;
        if (!EXTENSIONS.includes(ext)) message = `unsupported file type: upload ${EXTENSIONS.join(" ")}`;
        else if (file.size === 0) message = "the file is empty";
        else if (file.size > maxFileMb * 1024 * 1024)
          message = `the file is ${formatBytes(file.size)}, over the ${maxFileMb} MB limit`;
        const item: UploadItem = { key, file, state: message ? "error" : "queued", progress: 0, message };
        items.push(item);
        if (!message) queue.current.push(item);
      }
      setUploads((list) => [...items, ...list].slice(0, 200));
      pump();
    },
    [maxFileMb, pump],
  );

  /** Sends a file refused for its name again, this time replacing the stored document it collided with. */
  const replaceWith = (item: UploadItem) => {
    const again: UploadItem = {
      ...item,
      state: "queued",
      progress: 0,
      message: undefined,
      wouldReplace: undefined,
      replace: true,
    };
    setUploads((list) => list.map((u) => (u.key === item.key ? again : u)));
    queue.current.push(again);
    pump();
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragOver(false);
    if (e.dataTransfer.files.length) addFiles(e.dataTransfer.files);
  };

  useEffect(() => {
    if (preview) previewRef.current?.showModal();
  }, [preview]);
  useEffect(() => {
    if (confirm) confirmRef.current?.showModal();
  }, [confirm]);

  async function openPreview(doc: DocumentInfo) {
    setBusy(`preview:${doc.docId}`);
    try {
      setPreview(await kbFetch<ChunkPreview>(`${base}/documents/${encodeURIComponent(doc.docId)}`));
    } catch (err) {
      setNotice({ tone: "error", text: (err as Error).message });
    } finally {
      setBusy(null);
    }
  }

  async function remove(doc: DocumentInfo) {
    setBusy(`delete:${doc.docId}`);
    try {
      await kbFetch(`${base}/documents/${encodeURIComponent(doc.docId)}`, { method: "DELETE" });
      setDocuments((list) => list.filter((d) => d.docId !== doc.docId));
      setNotice({ tone: "info", text: `Deleted “${doc.title || doc.docId}”.` });
    } catch (err) {
      setNotice({ tone: "error", text: (err as Error).message });
    } finally {
      setBusy(null);
      confirmRef.current?.close();
    }
  }

  async function reindex() {
    setBusy("reindex");
    setNotice({ tone: "info", text: "Re-indexing every passage…" });
    try {
      const r = await kbFetch<{ chunks: number; ms: number }>(`${base}/reindex`, { method: "POST" });
      setNotice({ tone: "info", text: `Re-indexed ${r.chunks} passages in ${(r.ms / 1000).toFixed(1)} s.` });
      await refresh();
    } catch (err) {
      setNotice({ tone: "error", text: (err as Error).message });
    } finally {
      setBusy(null);
    }
  }

  const active = uploads.filter(
    (u) => u.state === "queued" || u.state === "uploading" || u.state === "processing",
  ).length;

  return (
    <>
      <section className="panel" aria-labelledby="upload-title">
        <div className="panel-head">
          <h2 id="upload-title">Upload documents</h2>
          {uploads.length > 0 && (
            <button
              type="button"
              className="btn btn-sm"
              onClick={() =>
                setUploads((l) =>
                  l.filter((u) => u.state === "queued" || u.state === "uploading" || u.state === "processing"),
                )
              }
              disabled={uploads.length === active}
            >
              Clear finished
            </button>
          )}
        </div>
        <label
          className={`dropzone${dragOver ? " is-over" : ""}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragOver(true);
          }}
          onDragLeave={() => setDragOver(false)}
          onDrop={onDrop}
        >
          <input
            ref={inputRef}
            className="sr-only"
            type="file"
            multiple
            accept={EXTENSIONS.join(",")}
            data-testid="upload-input"
            aria-describedby="upload-help"
            onChange={(e) => {
              if (e.target.files?.length) addFiles(e.target.files);
              e.target.value = "";
            }}
          />
          <strong>Drop files here, or choose files</strong>
          <span id="upload-help" className="muted">
            PDF, DOCX, HTML, Markdown or text · up to {maxFileMb} MB each · re-uploading a file under the same name
            updates it
          </span>
        </label>
        {uploads.length > 0 && (
          <ul className="upload-list" aria-label="Uploads" aria-live="polite" data-testid="upload-list">
            {uploads.map((u) => (
              <li key={u.key} className="upload-item" data-testid="upload-item" data-state={u.state}>
                <span className="name" title={u.file.name}>
                  {u.file.name} <span className="muted">({formatBytes(u.file.size)})</span>
                </span>
                <span className={`badge ${STATE_LABEL[u.state].tone}`}>
                  {STATE_LABEL[u.state].text}
                  {u.chunks != null && u.state !== "error" ? ` · ${u.chunks} passages` : ""}
                </span>
                {(u.state === "uploading" || u.state === "processing") && (
                  <progress
                    max={1}
                    value={u.state === "processing" ? undefined : u.progress}
                    aria-label={`${u.file.name} upload progress`}
                  />
                )}
                {u.message && (
                  <span className="msg" role="alert">
                    {u.message}
                  </span>
                )}
                {u.wouldReplace && u.state === "error" && (
                  <span style={{ gridColumn: "1 / -1" }}>
                    <button
                      type="button"
                      className="btn btn-sm btn-danger"
                      onClick={() => replaceWith(u)}
                      data-testid="replace-document"
                    >
                      Replace “{u.wouldReplace}” with {u.file.name}
                    </button>
                  </span>
                )}
                <Warnings warnings={u.warnings} />
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="panel kb-documents" aria-labelledby="documents-title">
        <div className="panel-head">
          <div>
            <h2 id="documents-title">Documents</h2>
            <span className="muted">
              {documents.length} documents · {documents.reduce((n, d) => n + d.chunks, 0)} passages
            </span>
          </div>
          <button
            type="button"
            className="btn"
            onClick={reindex}
            disabled={busy !== null || documents.length === 0}
            data-testid="reindex"
          >
            {busy === "reindex" ? "Re-indexing…" : "Re-index"}
          </button>
        </div>
        {notice && (
          <p
            className={`alert ${notice.tone === "error" ? "alert-error" : "alert-info"}`}
            role={notice.tone === "error" ? "alert" : "status"}
          >
            {notice.text}
          </p>
        )}
        <div className="table-wrap">
          <table data-testid="documents-table">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Format</th>
                <th scope="col">Language</th>
                <th scope="col" className="num">
                  Passages
                </th>
                <th scope="col" className="num">
                  Pages
                </th>
                <th scope="col">Ingested</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {documents.length === 0 && (
                <tr>
                  <td colSpan={7} className="empty">
                    No documents yet. Upload some above.
                  </td>
                </tr>
              )}
              {documents.map((d) => (
                <tr key={d.docId} data-testid="document-row" data-doc-id={d.docId}>
                  <td>
                    <div className="doc-title">{d.title || d.docId}</div>
                    <div className="doc-id">{d.docId}</div>
                    <Warnings warnings={d.warnings} />
                  </td>
                  <td>
                    <span className="badge">{d.format.toUpperCase()}</span>
                  </td>
                  <td>{d.lang.toUpperCase()}</td>
                  <td className="num">{d.chunks}</td>
                  <td className="num">{d.pages}</td>
                  <td>
                    <LocalTime iso={d.ingestedAt} />
                  </td>
                  <td>
                    <div className="row-actions">
                      <button
                        type="button"
                        className="btn btn-sm"
                        onClick={() => openPreview(d)}
                        disabled={busy !== null}
                        aria-label={`Preview passages of ${d.title || d.docId}`}
                        data-testid="preview-document"
                      >
                        {busy === `preview:${d.docId}` ? "Loading…" : "Preview"}
                      </button>
                      <button
                        type="button"
                        className="btn btn-sm btn-danger"
                        onClick={() => setConfirm(d)}
                        disabled={busy !== null}
                        aria-label={`Delete ${d.title || d.docId}`}
                        data-testid="delete-document"
                      >
                        Delete
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <dialog
        ref={previewRef}
        onClose={() => setPreview(null)}
        aria-labelledby="preview-title"
        data-testid="preview-dialog"
      >
        {preview && (
          <>
            <div className="dialog-body">
              <h2 id="preview-title">{preview.title || preview.docId}</h2>
              <p className="muted">
                {preview.docId} · {preview.chunks.length} passages
              </p>
              {preview.chunks.map((c) => (
                <article key={c.id} className="chunk">
                  <div className="result-head">
                    <strong>#{c.ord + 1}</strong>
                    {c.heading && <span>{c.heading}</span>}
                    {c.page != null && <span className="badge">page {c.page}</span>}
                  </div>
                  <p>{c.text}</p>
                </article>
              ))}
            </div>
            <div className="dialog-foot">
              <button type="button" className="btn" onClick={() => previewRef.current?.close()}>
                Close
              </button>
            </div>
          </>
        )}
      </dialog>

      <dialog
        ref={confirmRef}
        onClose={() => setConfirm(null)}
        aria-labelledby="confirm-title"
        data-testid="confirm-dialog"
      >
        {confirm && (
          <>
            <div className="dialog-body">
              <h2 id="confirm-title">Delete this document?</h2>
              <p>
                “{confirm.title || confirm.docId}” and its {confirm.chunks} passages will be removed from the knowledge
                base. The consultant stops citing it at once. Upload the file again to restore it.
              </p>
            </div>
            <div className="dialog-foot">
              <button type="button" className="btn" onClick={() => confirmRef.current?.close()}>
                Cancel
              </button>
              <button
                type="button"
                className="btn btn-danger-solid"
                onClick={() => remove(confirm)}
                disabled={busy === `delete:${confirm.docId}`}
                data-testid="confirm-delete"
              >
                {busy === `delete:${confirm.docId}` ? "Deleting…" : "Delete document"}
              </button>
            </div>
          </>
        )}
      </dialog>
    </>
  );
}

/** Things to look at in a file that was ingested anyway (filled in by the ingest); nothing when there are none. */
function Warnings({ warnings }: { warnings?: string[] }) {
  if (!warnings?.length) return null;
  return (
    <ul style={{ gridColumn: "1 / -1", margin: "0.25rem 0 0", paddingLeft: "1rem" }} data-testid="warnings">
      {warnings.map((w) => (
        <li key={w}>
          <span className="badge badge-warn">Warning</span> {w}
        </li>
      ))}
    </ul>
  );
}

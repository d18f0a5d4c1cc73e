"use client";

import { useEffect, useRef } from "react";
import type { Strings } from "@/app/(consult)/i18n";
import type { Source } from "@/app/(consult)/types";

interface Props {
  source: Source | null;
  t: Strings;
  onClose: () => void;
}

/** A modal with one cited passage; the native dialog gives focus trapping and Escape for free. */
export function CitationDialog({ source, t, onClose }: Props) {
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (source && !dialog.open) dialog.showModal();
    if (!source && dialog.open) dialog.close();
  }, [source]);

  return (
    <dialog ref={ref} className="citation-dialog" aria-labelledby="citation-title" onClose={onClose}>
      {source && (
        <>
          <p className="citation-dialog__kicker">
            {t.source} [{source.n}]{source.page !== null && ` · ${t.page} ${source.page}`}
          </p>
          <h2 id="citation-title">{source.title}</h2>
          <blockquote className="citation-dialog__snippet">
            {source.snippet}
            {/* Snippets are cut at a length, not a sentence: say so rather than end mid-word. */}
            {!/[.!?。！？]\s*$/.test(source.snippet) && "…"}
          </blockquote>
          <form method="dialog">
            <button type="submit" className="btn btn--primary">
              {t.close}
            </button>
          </form>
        </>
      )}
    </dialog>
  );
}

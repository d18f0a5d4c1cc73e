"use client";

import type { Strings } from "@/app/(consult)/i18n";
import type { Source } from "@/app/(consult)/types";

interface Props {
  text: string;
  sources: Source[];
  t: Strings;
  onCite: (source: Source) => void;
}

/** The answer as it streams, with each `[n]` that names a known source turned into a button that opens it. */
export function AnswerText({ text, sources, t, onCite }: Props) {
  const parts = text.split(/(\[\d+\])/);
  return (
    <>
      {parts.map((part, i) => {
        const n = /^\[(\d+)\]$/.exec(part)?.[1];
        const source = n ? sources.find((s) => s.n === Number(n)) : undefined;
        if (!source) return part;
        return (
          <button
            // Parts never reorder while text streams in, so the index is a stable key.
            // biome-ignore lint/suspicious/noArrayIndexKey: see above
            key={i}
            type="button"
            className="citation"
            data-testid="citation"
            aria-label={t.citationLabel(source.n)}
            title={source.title}
            onClick={() => onCite(source)}
          >
            {source.n}
          </button>
        );
      })}
    </>
  );
}

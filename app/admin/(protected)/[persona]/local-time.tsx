"use client";
import { useEffect, useState } from "react";

/** A timestamp in the viewer's time zone; the server render shows UTC so hydration always matches. */
export function LocalTime({ iso }: { iso: string }) {
  const [text, setText] = useState(() => `${iso.slice(0, 16).replace("T", " ")} UTC`);
  useEffect(() => {
    const d = new Date(iso);
    if (!Number.isNaN(d.getTime())) {
      setText(d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }));
    }
  }, [iso]);
  return <time dateTime={iso}>{text}</time>;
}

"use client";
import { useEffect, useState } from "react";

interface AvatarMeta {
  width: number;
  height: number;
  landmarks: { x: number; y: number }[];
  mouth: { x: number; y: number; width: number; height: number };
  landmarkSource: "detected" | "declared";
}

/** The prepared portrait the lip-sync composites onto, with its 68 landmarks drawn over it. */
export function AvatarPreview({ personaId, alt }: { personaId: string; alt: string }) {
  const [meta, setMeta] = useState<AvatarMeta | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [show, setShow] = useState(true);

  useEffect(() => {
    let live = true;
    fetch(`/api/personas/${personaId}/avatar?format=json`, { cache: "no-store" })
      .then(async (res) => {
        const body = await res.json().catch(() => null);
        if (!res.ok) throw new Error(body?.error?.message ?? `avatar request failed (${res.status})`);
        if (live) setMeta(body as AvatarMeta);
      })
      .catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
    };
  }, [personaId]);

  const r = meta ? Math.max(1.5, meta.width / 160) : 2;
  return (
    <section className="panel" aria-labelledby="avatar-title">
      <div className="panel-head">
        <h2 id="avatar-title">Avatar</h2>
        <label className="muted" style={{ display: "flex", gap: "0.35rem", alignItems: "center" }}>
          <input type="checkbox" checked={show} onChange={(e) => setShow(e.target.checked)} />
          Landmarks
        </label>
      </div>
      <div
        className="avatar-frame"
        style={meta ? { aspectRatio: `${meta.width} / ${meta.height}` } : undefined}
        data-testid="avatar-preview"
      >
        {/* biome-ignore lint/performance/noImgElement: the exact still the lip-sync engine draws on, not an optimisable asset */}
        <img src={`/api/personas/${personaId}/avatar`} alt={alt} />
        {meta && show && (
          <svg viewBox={`0 0 ${meta.width} ${meta.height}`} aria-hidden="true" data-testid="avatar-landmarks">
            <rect
              x={meta.mouth.x}
              y={meta.mouth.y}
              width={meta.mouth.width}
              height={meta.mouth.height}
              fill="none"
              stroke="#f59e0b"
              strokeWidth={r / 1.5}
              strokeDasharray={`${r * 2} ${r}`}
            />
            {meta.landmarks.map((p, i) => (
              <circle
                // biome-ignore lint/suspicious/noArrayIndexKey: landmarks are a fixed, ordered set of 68
                key={i}
                cx={p.x}
                cy={p.y}
                r={r}
                fill={i >= 48 ? "#ef4444" : "#22d3ee"}
                stroke="#0f172a"
                strokeWidth={r / 3}
              />
            ))}
          </svg>
        )}
      </div>
      <p className="status-line muted" role="status">
        {error
          ? `Landmarks unavailable: ${error}`
          : meta
            ? `${meta.width}×${meta.height} · ${meta.landmarks.length} landmarks (${meta.landmarkSource}) · mouth box dashed`
            : "Preparing the avatar…"}
      </p>
    </section>
  );
}

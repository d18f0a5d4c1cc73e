"use client";

import { useEffect, useRef, useState } from "react";
import type { AnswerPlayback } from "@/app/(consult)/answer-playback";

interface Props {
  personaId: string;
  alt: string;
  playback: AnswerPlayback;
  /** Must be stable (a state setter): the drawing loop restarts when it changes. */
  onSpeakingChange: (speaking: boolean) => void;
}

/** The portrait on a canvas, with the current frame's lip-sync patches composited over it every animation frame. */
export function AvatarPlayer({ personaId, alt, playback, onSpeakingChange }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [speaking, setSpeaking] = useState(false);
  const [loaded, setLoaded] = useState(false);

  useEffect(() => {
    const canvas = canvasRef.current;
    const g = canvas?.getContext("2d");
    if (!canvas || !g) return;
    let still: HTMLImageElement | null = null;
    let raf = 0;
    let shownKey = "";
    let wasSpeaking = false;

    const draw = () => {
      raf = requestAnimationFrame(draw);
      if (!still) return;
      const frame = playback.frame();
      if (frame.speaking !== wasSpeaking) {
        wasSpeaking = frame.speaking;
        setSpeaking(frame.speaking);
        onSpeakingChange(frame.speaking);
      }
      // Redraw only when the frame changes: most animation frames (60 Hz vs 25 fps) repeat the last one.
      if (frame.key === shownKey) return;
      shownKey = frame.key;
      g.drawImage(still, 0, 0);
      for (const p of frame.patches) if (p.bitmap) g.drawImage(p.bitmap, p.x, p.y);
    };

    const img = new Image();
    img.decoding = "async";
    img.onload = () => {
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      still = img;
      shownKey = "";
      setLoaded(true);
    };
    img.src = `/api/personas/${encodeURIComponent(personaId)}/avatar`;
    raf = requestAnimationFrame(draw);
    return () => {
      cancelAnimationFrame(raf);
      img.onload = null;
    };
  }, [personaId, playback, onSpeakingChange]);

  return (
    <div className="avatar-player" data-speaking={speaking ? "true" : "false"} data-loaded={loaded ? "true" : "false"}>
      <canvas ref={canvasRef} data-testid="avatar-canvas" role="img" aria-label={alt} width={512} height={600} />
    </div>
  );
}

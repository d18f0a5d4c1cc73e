import type { MouthPose } from "@/lib/speech/types";

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A portrait made ready for animation once, then cached: the still image plus where its features are. */
export interface PreparedAvatar {
  id: string;
  width: number;
  height: number;
  /** The still portrait the page draws first (PNG or JPEG bytes). */
  image: Uint8Array;
  mime: "image/png" | "image/jpeg";
  /** The 68 iBUG landmarks (jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67). */
  landmarks: Point[];
  mouth: Box;
  leftEye: Box;
  rightEye: Box;
  /** "detected" from a photo, or "declared" in `<image>.landmarks.json` beside illustrated artwork. */
  landmarkSource: "detected" | "declared";
}

/** The changed region of one frame at `seq / fps` seconds: the page composites it onto the still portrait. */
export interface FramePatch {
  seq: number;
  box: Box;
  mime: "image/jpeg" | "image/webp" | "image/png";
  data: Uint8Array;
}

export interface LipSyncRequest {
  avatar: PreparedAvatar;
  /** One pose per frame, from the viseme track. */
  poses: MouthPose[];
  /** The audio, for engines that read it (neural lip-sync). 16-bit mono PCM. */
  audio?: { sampleRate: number; samples: Int16Array };
  fps: number;
  signal?: AbortSignal;
}

export interface LipSyncEngine {
  readonly id: string;
  render(request: LipSyncRequest): AsyncIterable<FramePatch>;
}

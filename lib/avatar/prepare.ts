import "server-only";
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { z } from "zod";
import { featureBoxes } from "@/lib/avatar/geometry";
import { detectFaceLandmarks } from "@/lib/avatar/landmarks";
import type { Point, PreparedAvatar } from "@/lib/avatar/types";
import { AppError } from "@/lib/errors";
import { PersonaSchema } from "@/lib/persona/persona";

/** Landmarks declared for artwork, in the coordinates of an image `width` x `height`. */
export const DeclaredLandmarksSchema = z.object({
  width: z.number().positive(),
  height: z.number().positive(),
  points: z.array(z.tuple([z.number(), z.number()])).length(68),
});
export type DeclaredLandmarks = z.infer<typeof DeclaredLandmarksSchema>;

export interface AvatarSource {
  bytes: Uint8Array;
  declaredLandmarks?: DeclaredLandmarks;
}

export interface PrepareOptions {
  /** Folder for prepared avatars (e.g. data/avatars); without it only the in-process cache is used. */
  cacheDir?: string;
  /** Longest side of the prepared still; larger portraits are scaled down. */
  maxSide?: number;
}

/** Bump when the preparation's output changes, so old cache entries are not reused. */
const PREPARE_VERSION = 1;
const DEFAULT_MAX_SIDE = 768;

const memory = new Map<string, Promise<PreparedAvatar>>();

type CachedMeta = Omit<PreparedAvatar, "image">;

function cacheKey(source: AvatarSource, maxSide: number): string {
  const h = createHash("sha256");
  h.update(`v${PREPARE_VERSION};${maxSide};${JSON.stringify(source.declaredLandmarks ?? null)};`);
  h.update(source.bytes);
  return h.digest("hex").slice(0, 32);
}

async function normaliseImage(
  bytes: Uint8Array,
  maxSide: number,
): Promise<{ image: Buffer; mime: PreparedAvatar["mime"]; width: number; height: number }> {
  const meta = await sharp(bytes)
    .metadata()
    .catch((err: unknown) => {
      throw new AppError("unsupported_media_type", "The avatar image could not be decoded.", { cause: err });
    });
  // Artwork (SVG, PNG) stays lossless; photos are stored as JPEG.
  const lossless = meta.format === "svg" || meta.format === "png";
  const pipeline = sharp(bytes)
    .rotate()
    .resize(maxSide, maxSide, { fit: "inside", withoutEnlargement: true })
    .flatten({ background: "#ffffff" });
  const { data, info } = await (lossless ? pipeline.png() : pipeline.jpeg({ quality: 92 }))
    .toBuffer({ resolveWithObject: true })
    .catch((err: unknown) => {
      throw new AppError("unsupported_media_type", "The avatar image could not be decoded.", { cause: err });
    });
  return { image: data, mime: lossless ? "image/png" : "image/jpeg", width: info.width, height: info.height };
}

function checkLandmarks(points: Point[], width: number, height: number): void {
  const inside = points.every((p) => p.x >= 0 && p.y >= 0 && p.x <= width && p.y <= height);
  const eyesY = (points[36]!.y + points[45]!.y) / 2;
  if (!inside || points[62]!.y <= eyesY) {
    throw new AppError(
      "unprocessable",
      "The avatar's landmarks lie outside the image or put the mouth above the eyes.",
    );
  }
}

async function prepare(source: AvatarSource, key: string, maxSide: number): Promise<PreparedAvatar> {
  const { image, mime, width, height } = await normaliseImage(source.bytes, maxSide);
  let landmarks: Point[];
  const declared = source.declaredLandmarks;
  if (declared) {
    const sx = width / declared.width;
    const sy = height / declared.height;
    landmarks = declared.points.map(([x, y]) => ({ x: x * sx, y: y * sy }));
  } else {
    landmarks = (await detectFaceLandmarks(image)).landmarks;
  }
  checkLandmarks(landmarks, width, height);
  return {
    id: `avatar-${key.slice(0, 16)}`,
    width,
    height,
    image: new Uint8Array(image.buffer, image.byteOffset, image.length),
    mime,
    landmarks,
    ...featureBoxes(landmarks),
    landmarkSource: declared ? "declared" : "detected",
  };
}

async function readCached(dir: string, key: string): Promise<PreparedAvatar | undefined> {
  try {
    const meta = JSON.parse(await readFile(path.join(dir, `${key}.json`), "utf8")) as CachedMeta;
    const image = await readFile(path.join(dir, `${key}.img`));
    return { ...meta, image: new Uint8Array(image.buffer, image.byteOffset, image.length) };
  } catch {
    return undefined;
  }
}

/** Image first, metadata last, each renamed into place: a present .json means a complete entry. */
async function writeCached(dir: string, key: string, avatar: PreparedAvatar): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { image, ...meta } = avatar;
  const tmp = `.${process.pid}.${Date.now()}.tmp`;
  await writeFile(path.join(dir, `${key}.img${tmp}`), image);
  await rename(path.join(dir, `${key}.img${tmp}`), path.join(dir, `${key}.img`));
  await writeFile(path.join(dir, `${key}.json${tmp}`), JSON.stringify(meta));
  await rename(path.join(dir, `${key}.json${tmp}`), path.join(dir, `${key}.json`));
}

/**
 * Makes a portrait ready for animation: a normalised still, its 68 landmarks (declared for artwork, detected for
 * photos) and feature boxes. Results are cached by content hash in memory and, with `cacheDir`, on disk, so each
 * image is prepared once.
 */
export function prepareAvatar(source: AvatarSource, options: PrepareOptions = {}): Promise<PreparedAvatar> {
  const maxSide = options.maxSide ?? DEFAULT_MAX_SIDE;
  const key = cacheKey(source, maxSide);
  const memoKey = `${options.cacheDir ?? ""}|${key}`;
  let job = memory.get(memoKey);
  if (!job) {
    job = (async () => {
      const dir = options.cacheDir;
      const cached = dir ? await readCached(dir, key) : undefined;
      if (cached) return cached;
      const avatar = await prepare(source, key, maxSide);
      if (dir) await writeCached(dir, key, avatar);
      return avatar;
    })();
    job.catch(() => memory.delete(memoKey));
    memory.set(memoKey, job);
  }
  return job;
}

/** Forgets the in-process cache (tests, or after the cache folder was cleared). */
export function clearPreparedAvatars(): void {
  memory.clear();
}

export interface PersonaAvatarDirs {
  /** Folder holding `<personaId>/persona.json` and its avatar image. */
  knowledgeDir: string;
  cacheDir?: string;
}

/**
 * The persona's avatar: the image named by persona.json's `avatar.image`, with `<name>.landmarks.json` beside it
 * when the image is artwork (a photo has none and gets detection).
 */
export async function prepareAvatarFromPersona(
  personaId: string,
  dirs: PersonaAvatarDirs,
  options: Omit<PrepareOptions, "cacheDir"> = {},
): Promise<PreparedAvatar> {
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(personaId))
    throw new AppError("unknown_persona", `Unknown persona "${personaId}".`);
  const dir = path.join(dirs.knowledgeDir, personaId);
  const raw = await readFile(path.join(dir, "persona.json"), "utf8").catch(() => {
    throw new AppError("unknown_persona", `Unknown persona "${personaId}".`);
  });
  const persona = PersonaSchema.safeParse(JSON.parse(raw));
  if (!persona.success) throw new AppError("internal", `knowledge/${personaId}/persona.json is invalid.`);
  const file = persona.data.avatar.image;
  if (path.basename(file) !== file) {
    throw new AppError(
      "internal",
      `knowledge/${personaId}/persona.json: avatar.image must be a file name in the persona's folder.`,
    );
  }
  const bytes = await readFile(path.join(dir, file)).catch(() => {
    throw new AppError("not_found", `knowledge/${personaId}/${file} is missing.`);
  });
  const landmarksFile = path.join(dir, `${path.parse(file).name}.landmarks.json`);
  const declaredRaw = await readFile(landmarksFile, "utf8").catch(() => undefined);
  let declaredLandmarks: DeclaredLandmarks | undefined;
  if (declaredRaw !== undefined) {
    const parsed = DeclaredLandmarksSchema.safeParse(JSON.parse(declaredRaw));
    if (!parsed.success) {
      throw new AppError(
        "internal",
        `${path.basename(landmarksFile)} of persona "${personaId}" is invalid: ${parsed.error.issues[0]?.message}`,
      );
    }
    declaredLandmarks = parsed.data;
  }
  return prepareAvatar({ bytes, declaredLandmarks }, { ...options, cacheDir: dirs.cacheDir });
}

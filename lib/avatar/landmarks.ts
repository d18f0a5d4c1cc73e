import "server-only";
import { createRequire } from "node:module";
import path from "node:path";
import * as faceapi from "@vladmandic/face-api/dist/face-api.node-wasm.js";
import sharp from "sharp";
import type { Box, Point } from "@/lib/avatar/types";
import { AppError } from "@/lib/errors";

export interface DetectedFace {
  /** The 68 iBUG landmarks in the input image's pixel coordinates (after EXIF rotation). */
  landmarks: Point[];
  box: Box;
  score: number;
  /** Size of the (EXIF-rotated) image the coordinates refer to. */
  width: number;
  height: number;
  /** Time spent in the detector and landmark network, excluding decoding and model loading. */
  detectMs: number;
}

/** Faces are found reliably well below this; larger inputs are shrunk first, which also bounds the time. */
const MAX_DETECT_SIDE = 1024;
const MIN_SIDE = 64;

/** face-api re-exports the tfjs build it was bundled with; reaching it through face-api keeps one tfjs instance. */
const tf = faceapi.tf as typeof faceapi.tf & {
  setWasmPaths(prefix: string): void;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
};

let loading: Promise<void> | undefined;

/** Loads the wasm backend and the two networks once per process; every call after the first awaits the same promise. */
export function loadFaceModels(): Promise<void> {
  loading ??= (async () => {
    const require = createRequire(import.meta.url);
    // A file path (trailing slash) makes the backend read its .wasm from disk instead of fetching it.
    const wasmDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
    const modelDir = path.join(path.dirname(require.resolve("@vladmandic/face-api/package.json")), "model");
    tf.setWasmPaths(`${wasmDir}${path.sep}`);
    if (!(await tf.setBackend("wasm"))) throw new AppError("unavailable", "The tfjs wasm backend failed to start.");
    await tf.ready();
    await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  })().catch((err: unknown) => {
    loading = undefined;
    throw err instanceof AppError
      ? err
      : new AppError("unavailable", `Face models failed to load: ${err}`, { cause: err });
  });
  return loading;
}

interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  /** Factor from detection pixels back to the rotated original's pixels. */
  scale: number;
  originalWidth: number;
  originalHeight: number;
}

async function decodeForDetection(bytes: Uint8Array): Promise<RgbImage> {
  const meta = await sharp(bytes)
    .metadata()
    .catch((err: unknown) => {
      throw new AppError("unsupported_media_type", "The image could not be decoded (corrupt or not an image).", {
        cause: err,
      });
    });
  // autoOrient reports the size the way the portrait is meant to be seen (EXIF orientation applied).
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new AppError("unsupported_media_type", "The image has no readable size.");
  if (Math.min(width, height) < MIN_SIDE) {
    throw new AppError(
      "unprocessable",
      `The image is too small (${width}x${height}); a portrait needs ${MIN_SIDE} px or more.`,
    );
  }
  const scale = Math.max(1, Math.max(width, height) / MAX_DETECT_SIDE);
  try {
    const { data, info } = await sharp(bytes)
      .rotate()
      .resize(Math.round(width / scale), Math.round(height / scale), { fit: "fill" })
      .flatten({ background: "#ffffff" })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, scale, originalWidth: width, originalHeight: height };
  } catch (err) {
    throw new AppError("unsupported_media_type", "The image could not be decoded (corrupt or truncated).", {
      cause: err,
    });
  }
}

type Detection = faceapi.WithFaceLandmarks<{ detection: faceapi.FaceDetection }, faceapi.FaceLandmarks68>;

async function detectAll(image: RgbImage): Promise<Detection[]> {
  const tensor = tf.tensor3d(image.data, [image.height, image.width, 3], "int32");
  try {
    // The tiny detector is ~4x faster; SSD is the fallback for faces it misses (small, turned, dim).
    const tiny = await faceapi
      .detectAllFaces(tensor, new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 }))
      .withFaceLandmarks();
    if (tiny.length > 0) return tiny;
    return await faceapi
      .detectAllFaces(tensor, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 }))
      .withFaceLandmarks();
  } finally {
    tensor.dispose();
  }
}

/** Finds the largest face in an image and its 68 landmarks. */
export async function detectFaceLandmarks(bytes: Uint8Array): Promise<DetectedFace> {
  const image = await decodeForDetection(bytes);
  await loadFaceModels();
  const started = performance.now();
  const faces = await detectAll(image);
  const detectMs = performance.now() - started;
  const largest = faces.reduce<Detection | undefined>(
    (best, f) => (!best || f.detection.box.area > best.detection.box.area ? f : best),
    undefined,
  );
  if (!largest) {
    throw new AppError(
      "unprocessable",
      "No face found in the image: use a front-facing portrait with the whole face visible and well lit.",
    );
  }
  const s = image.scale;
  const b = largest.detection.box;
  return {
    landmarks: largest.landmarks.positions.map((p) => ({ x: p.x * s, y: p.y * s })),
    box: { x: b.x * s, y: b.y * s, width: b.width * s, height: b.height * s },
    score: largest.detection.score,
    width: image.originalWidth,
    height: image.originalHeight,
    detectMs,
  };
}

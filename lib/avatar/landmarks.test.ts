import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { boundingBox, featureBoxes } from "@/lib/avatar/geometry";
import { detectFaceLandmarks } from "@/lib/avatar/landmarks";
import { portraitFixture } from "@/lib/avatar/test-fixtures";
import { AppError } from "@/lib/errors";

const inside = (inner: { x: number; y: number; width: number; height: number }, outer: typeof inner) =>
  inner.x >= outer.x &&
  inner.y >= outer.y &&
  inner.x + inner.width <= outer.x + outer.width &&
  inner.y + inner.height <= outer.y + outer.height;

describe("detectFaceLandmarks", () => {
  it("finds the face and 68 landmarks on a real portrait, mouth below the eyes and inside the face", async () => {
    const face = await detectFaceLandmarks(await readFile(portraitFixture));
    expect(face.landmarks).toHaveLength(68);
    expect(face.width).toBe(512);
    expect(face.height).toBe(600);
    const { mouth, leftEye, rightEye } = featureBoxes(face.landmarks);
    expect(mouth.y).toBeGreaterThan(leftEye.y + leftEye.height);
    expect(mouth.y).toBeGreaterThan(rightEye.y + rightEye.height);
    expect(leftEye.x + leftEye.width).toBeLessThan(rightEye.x + rightEye.width / 2);
    expect(inside(mouth, boundingBox(face.landmarks.slice(0, 27)))).toBe(true);
  });

  it("picks the largest of several faces", async () => {
    const portrait = await readFile(portraitFixture);
    const small = await sharp(portrait).resize(256, 300).toBuffer();
    const canvas = await sharp({ create: { width: 800, height: 600, channels: 3, background: "#808080" } })
      .composite([
        { input: small, left: 0, top: 150 },
        { input: portrait, left: 288, top: 0 },
      ])
      .jpeg()
      .toBuffer();
    const face = await detectFaceLandmarks(canvas);
    expect(face.box.x).toBeGreaterThan(288);
  });

  it("says so clearly when there is no face", async () => {
    const blank = await sharp({ create: { width: 512, height: 512, channels: 3, background: "#f4f4f4" } })
      .png()
      .toBuffer();
    const err = await detectFaceLandmarks(blank).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: "unprocessable", message: expect.stringMatching(/no face found/i) });
  });

  it("refuses tiny and corrupt images with clear errors", async () => {
    const tiny = await sharp({ create: { width: 20, height: 20, channels: 3, background: "#000" } })
      .png()
      .toBuffer();
    await expect(detectFaceLandmarks(tiny)).rejects.toMatchObject({ code: "unprocessable", message: /too small/ });
    const corrupt = new TextEncoder().encode("this is not an image");
    await expect(detectFaceLandmarks(corrupt)).rejects.toMatchObject({ code: "unsupported_media_type" });
    const truncated = (await readFile(portraitFixture)).subarray(0, 2000);
    await expect(detectFaceLandmarks(truncated)).rejects.toMatchObject({ code: "unsupported_media_type" });
  });
});

import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { clearPreparedAvatars, prepareAvatar, prepareAvatarFromPersona } from "@/lib/avatar/prepare";
import { portraitFixture } from "@/lib/avatar/test-fixtures";

const tmp = await mkdtemp(path.join(os.tmpdir(), "avatar-prepare-"));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe("prepareAvatar", () => {
  it("detects a photo's landmarks once, then serves it from the disk cache", async () => {
    const cacheDir = path.join(tmp, "cache");
    const bytes = await readFile(portraitFixture);
    let t = performance.now();
    const cold = await prepareAvatar({ bytes }, { cacheDir });
    const coldMs = performance.now() - t;
    clearPreparedAvatars();
    t = performance.now();
    const cached = await prepareAvatar({ bytes }, { cacheDir });
    const cachedMs = performance.now() - t;
    expect(cached).toEqual(cold);
    expect(cachedMs).toBeLessThan(coldMs);
    expect(await prepareAvatar({ bytes }, { cacheDir })).toBe(cached);
    expect(cold).toMatchObject({ landmarkSource: "detected", mime: "image/jpeg", width: 512, height: 600 });
    expect(cold.landmarks).toHaveLength(68);
    expect(cold.mouth.y).toBeGreaterThan(cold.leftEye.y + cold.leftEye.height);
  });

  it("prepares the personas' artwork with their declared landmarks", async () => {
    for (const id of ["triage", "support"]) {
      const avatar = await prepareAvatarFromPersona(id, {
        knowledgeDir: "knowledge",
        cacheDir: path.join(tmp, "cache"),
      });
      expect(avatar).toMatchObject({ landmarkSource: "declared", mime: "image/png", width: 512, height: 600 });
      expect(avatar.mouth.y).toBeGreaterThan(avatar.rightEye.y + avatar.rightEye.height);
      expect(avatar.leftEye.x).toBeLessThan(avatar.rightEye.x);
    }
  });

  it("detects landmarks for a persona whose avatar is a photo without a landmarks file", async () => {
    const knowledgeDir = path.join(tmp, "knowledge");
    await mkdir(path.join(knowledgeDir, "photo"), { recursive: true });
    const persona = JSON.parse(await readFile("knowledge/triage/persona.json", "utf8"));
    await writeFile(
      path.join(knowledgeDir, "photo/persona.json"),
      JSON.stringify({ ...persona, id: "photo", avatar: { image: "portrait.jpg", alt: "Test portrait" } }),
    );
    await copyFile(portraitFixture, path.join(knowledgeDir, "photo/portrait.jpg"));
    const avatar = await prepareAvatarFromPersona("photo", { knowledgeDir });
    expect(avatar.landmarkSource).toBe("detected");
    await expect(prepareAvatarFromPersona("../etc", { knowledgeDir })).rejects.toMatchObject({
      code: "unknown_persona",
    });
  });
});

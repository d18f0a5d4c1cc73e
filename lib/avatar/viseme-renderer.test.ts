import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { mouthRig, renderMouth } from "@/lib/avatar/mouth-warp";
import { prepareAvatar, prepareAvatarFromPersona } from "@/lib/avatar/prepare";
import { crop, decodeRgb, type RgbImage } from "@/lib/avatar/raster";
import { compositeFrame, meanDiff, portraitFixture } from "@/lib/avatar/test-fixtures";
import type { FramePatch, PreparedAvatar } from "@/lib/avatar/types";
import { VisemeRenderer } from "@/lib/avatar/viseme-renderer";
import type { MouthPose } from "@/lib/speech/types";

const closed: MouthPose = { open: 0, width: 0, round: 0 };
const open: MouthPose = { open: 0.8, width: 0.2, round: 0 };

async function collect(renderer: VisemeRenderer, avatar: PreparedAvatar, poses: MouthPose[]): Promise<FramePatch[]> {
  const out: FramePatch[] = [];
  for await (const patch of renderer.render({ avatar, poses, fps: 25 })) out.push(patch);
  return out;
}

const frameAt = (patches: FramePatch[], seq: number) => patches.filter((p) => p.seq === seq);

let photo: PreparedAvatar;
let still: RgbImage;
beforeAll(async () => {
  photo = await prepareAvatar({ bytes: await readFile(portraitFixture) });
  still = await decodeRgb(photo.image);
});

describe("VisemeRenderer", () => {
  it("opens the mouth for an open pose and shows the still for a closed one", async () => {
    const poses = [...Array(10).fill(closed), ...Array(10).fill(open), ...Array(10).fill(closed)];
    const patches = await collect(new VisemeRenderer({ seed: 7 }), photo, poses);
    const mouthPatches = patches.filter((p) => p.box.y >= photo.mouth.y - photo.mouth.height * 2);
    expect(new Set(mouthPatches.map((p) => p.seq))).toEqual(new Set([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]));
    const openFrame = await compositeFrame(still, frameAt(patches, 15));
    const closedFrame = await compositeFrame(still, frameAt(patches, 25));
    expect(meanDiff(openFrame, still, photo.mouth)).toBeGreaterThan(15);
    expect(meanDiff(closedFrame, still, photo.mouth)).toBeLessThan(1);
    for (const p of patches) {
      expect(p.mime).toBe("image/jpeg");
      expect(p.box.x).toBeGreaterThanOrEqual(0);
      expect(p.box.y).toBeGreaterThanOrEqual(0);
      expect(p.box.x + p.box.width).toBeLessThanOrEqual(photo.width);
      expect(p.box.y + p.box.height).toBeLessThanOrEqual(photo.height);
    }
    const box = mouthPatches[0]!.box;
    expect(box.x).toBeLessThanOrEqual(photo.mouth.x);
    expect(box.y).toBeLessThanOrEqual(photo.mouth.y);
    expect(box.x + box.width).toBeGreaterThanOrEqual(photo.mouth.x + photo.mouth.width);
    expect(box.y + box.height).toBeGreaterThanOrEqual(photo.mouth.y + photo.mouth.height);
  });

  it("reproduces the still exactly for the neutral pose", () => {
    const rig = mouthRig(photo.landmarks, still);
    expect(renderMouth(still, rig, closed).data).toEqual(crop(still, rig.box).data);
  });

  it("blinks while silent, at times that depend only on the seed", async () => {
    const silence: MouthPose[] = Array(250).fill(closed);
    const renderer = new VisemeRenderer({ seed: 3 });
    const patches = await collect(renderer, photo, silence);
    const blinkFrames = [...new Set(patches.map((p) => p.seq))];
    expect(blinkFrames.length).toBeGreaterThan(2);
    expect(blinkFrames.length).toBeLessThan(125);
    const shut = patches.reduce((a, b) => (b.data.length > a.data.length ? b : a));
    const frame = await compositeFrame(still, [shut]);
    expect(meanDiff(frame, still, photo.leftEye) + meanDiff(frame, still, photo.rightEye)).toBeGreaterThan(5);
    expect(meanDiff(frame, still, photo.mouth)).toBe(0);

    const again = await collect(new VisemeRenderer({ seed: 3 }), photo, silence);
    expect(again.map((p) => [p.seq, p.data.length])).toEqual(patches.map((p) => [p.seq, p.data.length]));
    const other = await collect(new VisemeRenderer({ seed: 4 }), photo, silence);
    expect(other.map((p) => p.seq)).not.toEqual(patches.map((p) => p.seq));
  });

  it("animates the artwork avatars", async () => {
    const avatar = await prepareAvatarFromPersona("support", { knowledgeDir: "knowledge" });
    const art = await decodeRgb(avatar.image);
    const patches = await collect(new VisemeRenderer(), avatar, [open, { open: 0.3, width: 0, round: 1 }]);
    const frame = await compositeFrame(art, frameAt(patches, 0));
    expect(meanDiff(frame, art, avatar.mouth)).toBeGreaterThan(15);
  });

  it("stops when the request is aborted", async () => {
    const controller = new AbortController();
    const frames = new VisemeRenderer().render({
      avatar: photo,
      poses: Array(50).fill(open),
      fps: 25,
      signal: controller.signal,
    });
    await frames.next();
    controller.abort(new Error("barge-in"));
    await expect(frames.next()).rejects.toThrow("barge-in");
  });
});

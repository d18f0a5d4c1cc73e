import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MediaWorkerClient } from "./worker-client";

const FIXTURE = path.resolve(process.cwd(), "../shared/fixtures/speech/cmusphinx_goforward.wav");

describe("media worker process (real child process over IPC)", () => {
  const client = new MediaWorkerClient();
  afterAll(() => client.close());

  it("speaks for two sessions at once, each getting only its own sentences", async () => {
    const collect = async (persona: string, text: string, lang: "en" | "zh") => {
      const out = [];
      for await (const s of client.speak(persona, text, { lang })) out.push(s);
      return out;
    };
    const [a, b] = await Promise.all([
      collect("triage", "Rest and drink water. Call us if it gets worse.", "en"),
      collect("support", "请重置密码。", "zh"),
    ]);
    expect(a.map((s) => s.seq)).toEqual([0, 1]);
    expect(a[0]?.spokenText).toMatch(/rest and drink water/i);
    expect(a[0]?.audio.samples).toBeInstanceOf(Int16Array);
    expect(a[0]?.frames.length).toBeGreaterThan(0);
    expect(a[0]?.frames[0]?.data).toBeInstanceOf(Uint8Array);
    expect(a[1]?.startMs).toBeCloseTo(a[0]!.durationMs, 0);
    expect(b).toHaveLength(1);
    expect(b[0]?.engines.tts).toBe("espeak-ng");
  });

  it("hands out the prepared portrait the frames are drawn on", async () => {
    const avatar = await client.avatar("triage");
    expect(avatar).toMatchObject({ landmarkSource: "declared", mime: "image/png" });
    expect(avatar.image.length).toBeGreaterThan(1000);
    expect(avatar.mouth.y).toBeGreaterThan(avatar.leftEye.y);
  });

  it("transcribes a WAV upload", async () => {
    const t = await client.transcribe(new Uint8Array(await readFile(FIXTURE)));
    expect(t.text).toBe("go forward ten meters");
    expect(t.engine).toBe("pocketsphinx");
  });

  it("fails requests clearly when the worker dies, and serves the next one from a fresh worker", async () => {
    const first = client.pid;
    const pending = (async () => {
      for await (const _ of client.speak("triage", "This is a long answer that will not finish. ".repeat(20), {
        lang: "en",
      })) {
        process.kill(first!, "SIGKILL");
      }
    })();
    await expect(pending).rejects.toThrow(/media worker stopped/);
    const again = [];
    for await (const s of client.speak("triage", "Back again.", { lang: "en" })) again.push(s);
    expect(again).toHaveLength(1);
    expect(client.pid).not.toBe(first);
  });

  it("reports bad input from the worker as the same clear errors", async () => {
    await expect(client.transcribe(new TextEncoder().encode("not audio"))).rejects.toMatchObject({
      code: "unsupported_media_type",
    });
    const none = client.speak("nobody", "Hello.", { lang: "en" });
    await expect(none.next()).rejects.toMatchObject({ code: "unknown_persona" });
  });
});

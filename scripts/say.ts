/**
 * `npm run say -- --persona P [--photo portrait.jpg] [--lang en|zh] [--out clip.mp4] "text"`: renders a talking-head
 * clip with the default engines (or installed models) and prints where the time went.
 */
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { AppError } from "@/lib/errors";
import { detectLang } from "@/lib/knowledge/text";
import { hasFfmpeg, renderClip, writeMp4 } from "@/lib/media/clip";
import { MediaService } from "@/lib/media/media-service";
import { encodeWav } from "@/lib/speech/wav";

const USAGE = 'usage: npm run say -- --persona P [--photo portrait.jpg] [--lang en|zh] [--out clip.mp4] "text"';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      persona: { type: "string", short: "p" },
      photo: { type: "string" },
      lang: { type: "string" },
      out: { type: "string", short: "o" },
    },
  });
  const text = positionals.join(" ").trim();
  if (!values.persona || !text) throw new AppError("bad_request", USAGE);
  if (values.lang && values.lang !== "en" && values.lang !== "zh")
    throw new AppError("bad_request", "--lang must be en or zh");
  const lang = (values.lang as "en" | "zh" | undefined) ?? detectLang(text);
  const media = MediaService.fromEnv();
  const t0 = performance.now();
  const avatar = values.photo ? await media.prepareUploadedAvatar(await readFile(values.photo)) : undefined;
  const prepareMs = performance.now() - t0;
  const clip = await renderClip(media, { personaId: values.persona, text, lang, avatar });
  const seconds = clip.audio.samples.length / clip.audio.sampleRate;
  const s0 = clip.sentences[0];
  console.log(
    `${clip.sentences.length} sentences, ${seconds.toFixed(2)} s of speech, ${clip.frames.length} frames at ${clip.fps} fps`,
  );
  console.log(
    `engines: tts ${s0?.engines.tts}, lip-sync ${s0?.engines.lipsync}, avatar ${clip.avatar.landmarkSource} landmarks`,
  );
  console.log(
    `timings: avatar ${prepareMs.toFixed(0)} ms, first sentence ready ${clip.timings.firstSentenceMs.toFixed(0)} ms, all sentences ${clip.timings.totalMs.toFixed(0)} ms`,
  );
  const out = values.out ?? `${values.persona}-say.mp4`;
  if (!hasFfmpeg()) {
    const wav = `${out.replace(/\.mp4$/, "")}.wav`;
    await writeFile(wav, encodeWav(clip.audio));
    console.log(`ffmpeg is not installed (Debian: apt-get install ffmpeg): wrote the audio only, to ${wav}`);
    return 0;
  }
  const t1 = performance.now();
  await writeMp4(clip, out);
  console.log(`wrote ${out} (encoded in ${(performance.now() - t1).toFixed(0)} ms)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`say: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof AppError && err.code === "bad_request" ? 2 : 1);
  },
);

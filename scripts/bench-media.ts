/**
 * `npm run bench:media`: TTS real-time factor and first-sentence latency per engine, ASR real-time factor on the real
 * recordings, avatar preparation time, and lip-sync frames per second per core. A benchmark: it prints figures.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { benchAvatarPrepare, benchVisemeRenderer } from "@/lib/avatar/bench";
import { prepareAvatarFromPersona } from "@/lib/avatar/prepare";
import { benchWav2Lip } from "@/lib/avatar/wav2lip-bench";
import { PocketsphinxAsrEngine } from "@/lib/speech/asr";
import { benchAsr, formatAsrBench } from "@/lib/speech/asr/bench";
import { benchTts, formatTtsBench } from "@/lib/speech/tts/bench";

const fixtures = path.resolve(process.cwd(), "../shared/fixtures");
const dir = await mkdtemp(path.join(tmpdir(), "bench-media-"));
try {
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? "cpu"}), node ${process.version}\n`);

  console.log("== text to speech (first sentence latency and real-time factor) ==");
  console.log(formatTtsBench(await benchTts()));

  console.log("\n== speech recognition (real recordings from shared/fixtures/speech) ==");
  console.log(formatAsrBench("pocketsphinx", await benchAsr(new PocketsphinxAsrEngine())));

  console.log("\n== avatar preparation ==");
  const prep = await benchAvatarPrepare(
    path.join(fixtures, "avatars/usnavy_grace_hopper_matplotlib_512x600.jpg"),
    "knowledge",
  );
  console.log(
    `photo 512x600: landmarks ${prep.landmarkMs.toFixed(0)} ms (first ${prep.firstLandmarkMs.toFixed(0)} ms incl. model load), ` +
      `prepare cold ${prep.prepareColdMs.toFixed(0)} ms, cached ${prep.prepareCachedMs.toFixed(1)} ms; artwork cold ${prep.artworkColdMs.toFixed(0)} ms`,
  );

  console.log("\n== lip-sync: viseme renderer ==");
  for (const persona of ["triage", "support"]) {
    const avatar = await prepareAvatarFromPersona(persona, {
      knowledgeDir: "knowledge",
      cacheDir: path.join(dir, "avatars"),
    });
    const r = await benchVisemeRenderer(avatar);
    console.log(
      `${persona}: ${Math.round(r.framesPerSecondPerCore).toLocaleString("en")} frames/s per core (steady), warm-up ${r.warmMs.toFixed(0)} ms, ` +
        `first patch cold ${r.firstPatchMs.toFixed(0)} ms, mouth patch ${Math.round(r.mouthPatchBytes.mean)} B, ${Math.round(r.bytesPerSecond / 1024)} KiB/s of speech`,
    );
  }

  console.log("\n== lip-sync: Wav2Lip ONNX engine on the project's tiny test graph (no real weights here) ==");
  const w = await benchWav2Lip();
  console.log(`mel front end ${w.melMsPerAudioSecond.toFixed(1)} ms per second of audio; provider ${w.provider}`);
  for (const run of w.runs) {
    console.log(
      `batch ${String(run.batchSize).padStart(2)} x ${run.requests} requests: ${run.framesPerSecond.toFixed(0)} frames/s, model ${run.modelMsPerFrame.toFixed(2)} ms/frame, mean batch ${run.meanBatch.toFixed(1)}`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

import "server-only";
import { existsSync } from "node:fs";
import path from "node:path";
import { env, projectPath } from "@/lib/config/env";
import { createAsrEngine, PocketsphinxAsrEngine } from "@/lib/speech/asr";

/**
 * Which media engines this configuration serves with, without loading any (the web process never loads them:
 * the media worker does). Also reports whether the default speech recogniser is installed.
 */
export async function configuredMediaEngines(): Promise<{ asr: string; lipsync: string; problems: string[] }> {
  const e = env();
  const problems: string[] = [];
  const asr = await createAsrEngine({ engine: e.ASR_ENGINE, whisper: { modelDir: projectPath(e.ASR_WHISPER_DIR) } });
  if (asr instanceof PocketsphinxAsrEngine) {
    await asr.check().catch((err: Error) => problems.push(`speech recognition: ${err.message}`));
  }
  const modelPath = projectPath(e.LIPSYNC_MODEL_PATH);
  const wav2lip = e.LIPSYNC_ENGINE === "wav2lip" || (e.LIPSYNC_ENGINE === "auto" && existsSync(modelPath));
  return { asr: asr.id, lipsync: wav2lip ? `wav2lip:${path.basename(modelPath)}` : "viseme", problems };
}

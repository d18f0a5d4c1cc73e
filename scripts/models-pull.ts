/**
 * `npm run models:pull [-- all|llm|embedding|asr|voice|<id> ...]`: installs the recommended models into
 * MODELS_DIR with progress, checksums and resume. Offline it says so in one line; the default engines keep working.
 */
import { env, projectPath } from "@/lib/config/env";
import { AppError } from "@/lib/errors";
import { progressPrinter, pullModels } from "@/lib/model-install/pull";

pullModels({
  select: process.argv.slice(2).filter((a) => !a.startsWith("-")),
  baseUrl: env().MODELS_BASE_URL,
  modelsDir: projectPath(env().MODELS_DIR),
  log: (line) => console.log(line),
  progress: progressPrinter(process.stderr),
}).then(
  () => console.log("models:pull: done"),
  (err) => {
    const offline = err instanceof AppError && err.code === "unavailable";
    console.error(
      offline
        ? `models:pull: ${err.message}; no model was installed and the default engines keep working.`
        : `models:pull: ${err instanceof Error ? err.message : String(err)}`,
    );
    process.exit(offline ? 3 : 1);
  },
);

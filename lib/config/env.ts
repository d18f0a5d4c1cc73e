import "server-only";
import path from "node:path";
import { z } from "zod";

/** An empty value (`ADMIN_EMAIL=`) reads as unset. */
function emptyAsUnset<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === "" ? undefined : v), schema);
}

/**
 * Every environment variable the project reads, typed and validated in one place.
 * Nothing else in the code base touches `process.env`.
 */
const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Folder of persona definitions and their sample documents. */
  KNOWLEDGE_DIR: z.string().default("knowledge"),
  /** LanceDB location: a local folder by default, or an object-store URI (s3://, gs://, az://) shared by hosts. */
  LANCEDB_URI: z.string().default("data/lancedb"),
  /** Run-time state: knowledge-gap logs, CLI sessions (LanceDB has its own LANCEDB_URI). */
  DATA_DIR: z.string().default("data"),
  /** Uploads and ingested files larger than this are refused. */
  KB_MAX_FILE_MB: z.coerce.number().positive().default(25),
  /** `auto` uses the ONNX sentence embedder when its model folder exists, else the built-in hashed n-grams. */
  EMBEDDER: z.enum(["auto", "hashed", "onnx"]).default("auto"),
  EMBEDDING_MODEL_DIR: z.string().default("models/embedding"),
  /** Where `npm run models:pull` installs models (git-ignored). */
  MODELS_DIR: z.string().default("models"),
  /** Model host, or an internal mirror with the same layout (`<repo>/resolve/<revision>/<path>`). */
  MODELS_BASE_URL: z.string().url().default("https://huggingface.co"),
  /**
   * Answer engine: `auto` uses a remote OpenAI-compatible server when LLM_BASE_URL is set, else the GGUF at
   * LLM_MODEL_PATH when it exists, else the extractive engine (needs no model).
   */
  LLM_ENGINE: z.enum(["auto", "extractive", "llama-cpp", "remote"]).default("auto"),
  LLM_MODEL_PATH: z.string().default("models/llm/qwen2.5-1.5b-instruct-q4_k_m.gguf"),
  LLM_GPU: z.enum(["auto", "off"]).default("auto"),
  /** CPU threads for llama.cpp; default the machine's core count (more threads than cores is far slower). */
  LLM_THREADS: z.coerce.number().int().positive().optional(),
  /** Answers generated at once on the one loaded model (continuous batching over context sequences). */
  LLM_SEQUENCES: z.coerce.number().int().positive().default(4),
  LLM_CONTEXT_SIZE: z.coerce.number().int().positive().optional(),
  /** Answers that may wait for a free sequence before new ones are refused as busy. */
  LLM_MAX_QUEUE: z.coerce.number().int().nonnegative().default(32),
  /** Tokens of answers arriving within this many ms are decoded as one llama.cpp batch (0: next event-loop cycle). */
  LLM_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(2),
  LLM_MAX_TOKENS: z.coerce.number().int().positive().default(256),
  LLM_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.2),
  /** An OpenAI-compatible API root, e.g. http://gpu-box:8000/v1 (llama.cpp server, vLLM, Ollama). */
  LLM_BASE_URL: z.string().url().optional(),
  LLM_MODEL: z.string().default("default"),
  LLM_API_KEY: z.string().optional(),
  /** Speech recognition: `auto` uses Whisper when its model folder is installed, else pocketsphinx. */
  ASR_ENGINE: z.enum(["auto", "whisper", "pocketsphinx"]).default("auto"),
  ASR_WHISPER_DIR: z.string().default("models/asr/whisper-base"),
  /** pocketsphinx decoders each media worker keeps started, so a recording does not wait ~0.37 s for one to load. */
  ASR_WARM_DECODERS: z.coerce.number().int().min(0).max(16).default(2),
  /** Lip-sync: `auto` uses the Wav2Lip ONNX model when installed, else the viseme renderer. */
  LIPSYNC_ENGINE: z.enum(["auto", "viseme", "wav2lip"]).default("auto"),
  LIPSYNC_MODEL_PATH: z.string().default("models/lipsync/wav2lip.onnx"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /**
   * next-auth's signing/encryption secret (32+ random bytes, e.g. `openssl rand -base64 33`). When unset, a random
   * one is generated once and kept in `<DATA_DIR>/auth-secret` (mode 600); set it explicitly for several hosts.
   */
  AUTH_SECRET: emptyAsUnset(z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional()),
  /** The first administrator's sign-in e-mail (with ADMIN_PASSWORD_HASH; admin sign-in is off without both). */
  ADMIN_EMAIL: emptyAsUnset(z.string().trim().toLowerCase().email().optional()),
  /**
   * bcrypt hash of the administrator's password: `node -e "console.log(require('bcryptjs').hashSync('pw', 12))"`.
   * In a `.env` file escape each `$` as `\$` (Next expands `$`). Checked when signing in, not at start-up.
   */
  ADMIN_PASSWORD_HASH: emptyAsUnset(z.string().trim().optional()),
  /** One knowledge-base upload request (all its files together) larger than this is refused. */
  KB_MAX_UPLOAD_MB: z.coerce.number().positive().default(200),

  // --- Scale and operations -------------------------------------------------------------------------------------
  /**
   * Redis for scale-out (e.g. redis://10.0.0.5:6379): media jobs go through BullMQ queues that any number of
   * `npm run worker -- media` processes on any host take, and session memory lives in Redis so several web
   * processes serve any session. Unset: everything runs on this machine with no service to start.
   */
  REDIS_URL: emptyAsUnset(z.string().url().optional()),
  /**
   * Media worker processes `npm start` runs on this machine (local queue) or next to the web server (Redis). Two on
   * two cores: synthesis is single-threaded, and the web process itself needs little.
   */
  MEDIA_WORKERS: z.coerce.number().int().min(0).max(64).default(2),
  /**
   * Jobs one media worker works on at once (its batch). 1 suits the CPU engines, which each occupy the core while
   * they run, so more at once only delays every one of them; raise it for Wav2Lip on a GPU, where the frames of
   * several sentences share one inference.
   */
  MEDIA_BATCH_SIZE: z.coerce.number().int().min(1).max(64).default(1),
  /** On one machine, how long the media queue gathers jobs before sending them to the workers together. */
  MEDIA_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(5),
  /** A sentence's speech and frames later than this degrade the turn to text (the answer still arrives). */
  MEDIA_DEADLINE_MS: z.coerce.number().int().positive().default(10_000),
  /** A recording not transcribed within this fails the turn with a clear error instead of hanging. */
  ASR_DEADLINE_MS: z.coerce.number().int().positive().default(20_000),
  /**
   * Seconds of speech a turn synthesises ahead of the listener (ms); later sentences wait until they are needed, so
   * a burst of new questions is not queued behind answers still being read out. 0 synthesises everything at once.
   */
  SPEECH_LEAD_MS: z.coerce.number().int().min(0).default(4000),
  /** A language model that has not started its answer within this is replaced by the extractive engine. */
  LLM_DEADLINE_MS: z.coerce.number().int().positive().default(10_000),
  /** Attempts per queued job (transient failures such as a worker dying are retried with backoff). */
  QUEUE_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  /** Web processes `npm start` runs (ports PORT, PORT+1, ...) for a load balancer in front; >1 needs REDIS_URL. */
  WEB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** Turns one client address may start per minute (0: no limit); generous, as a clinic's patients may share one NAT address. */
  RATE_LIMIT_TURNS_PER_IP: z.coerce.number().int().min(0).default(600),
  /** Turns one session may start per minute (0: no limit). */
  RATE_LIMIT_TURNS_PER_SESSION: z.coerce.number().int().min(0).default(30),
  /** Knowledge-base upload requests one client address may make per minute (0: no limit). */
  RATE_LIMIT_UPLOADS_PER_IP: z.coerce.number().int().min(0).default(30),
  /** Turns running at once in this web process; more are answered "busy, retry in N s". */
  MAX_ACTIVE_TURNS: z.coerce.number().int().positive().default(200),
  /** Turns running at once in one session (a new turn cancels the one speaking; this bounds rapid repeats). */
  MAX_TURNS_PER_SESSION: z.coerce.number().int().positive().default(2),
  /** On SIGTERM, new turns are refused and speaking turns get this long to finish. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
  /**
   * Proxies whose forwarding headers (X-Real-IP, X-Forwarded-For) are believed, as IPs or CIDRs separated by commas
   * (e.g. `127.0.0.1,10.0.0.0/8`). Empty: the connection's own address is the client's, whatever the headers say.
   */
  TRUSTED_PROXIES: z.string().default(""),
  /** Wrong passwords for one account before each further attempt waits (the wait doubles per failure, up to 15 min). */
  LOGIN_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
  /** Wrong passwords from one address per 15 minutes before its sign-ins are refused until the window passes. */
  LOGIN_FAILURES_PER_IP: z.coerce.number().int().min(1).default(20),
  /** Longest spoken question accepted, in seconds (a recording or a live stream past it is refused). */
  MAX_QUESTION_SECONDS: z.coerce.number().positive().max(300).default(60),
  /** Recordings one client address may have being recognised at once (uploaded or streamed live). */
  MAX_RECORDINGS_PER_IP: z.coerce.number().int().min(1).default(4),
  /** Uploads being ingested or waiting for the write lock, per administrator and in total. */
  KB_UPLOADS_PER_ADMIN: z.coerce.number().int().min(1).default(2),
  KB_UPLOADS_IN_FLIGHT: z.coerce.number().int().min(1).default(4),
  /** An upload's ingest (one machine or over Redis) that runs longer than this is stopped and reported as failed. */
  INGEST_DEADLINE_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 60_000),
  /** Memory ceiling of the ingest process on one machine (V8 heap, MB); a document that needs more fails alone. */
  INGEST_MEMORY_MB: z.coerce.number().int().min(128).default(1536),
  /** When set, /api/metrics wants `Authorization: Bearer <token>`. */
  METRICS_TOKEN: emptyAsUnset(z.string().min(8).optional()),
});

export type Env = z.infer<typeof EnvSchema>;

export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

let cached: Env | undefined;

export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** Resolves a configured path against the project root (the process working directory). */
export function projectPath(p: string): string {
  return path.isAbsolute(p) || /^[a-z][a-z0-9+.-]*:\/\//i.test(p)
    ? p
    : path.resolve(/*turbopackIgnore: true*/ process.cwd(), p);
}

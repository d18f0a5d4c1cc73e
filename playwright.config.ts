import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";
import { hashSync } from "bcryptjs";

/** Browser tests run Debian's chromium against `npm start` on a scratch store; nothing is downloaded. */
const PORT = 3210;
const scratch = mkdtempSync(path.join(tmpdir(), "e2e-"));
export const ADMIN = { email: "admin@example.org", password: "correct horse battery staple" };
export const QUESTION_WAV = path.resolve("e2e/.generated/question.wav");
/** Documents the admin test uploads (written by global-setup with the project's own PDF and DOCX writers). */
export const UPLOADS = path.resolve("e2e/.generated/uploads");

export default defineConfig({
  testDir: "e2e",
  timeout: 90_000,
  expect: { timeout: 20_000 },
  workers: 1,
  reporter: [["list"]],
  globalSetup: "./e2e/global-setup.ts",
  use: {
    baseURL: `http://localhost:${PORT}`,
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        `--use-file-for-fake-audio-capture=${QUESTION_WAV}`,
        "--autoplay-policy=no-user-gesture-required",
      ],
    },
  },
  webServer: {
    command: "npm start",
    url: `http://localhost:${PORT}/api/health`,
    timeout: 300_000,
    reuseExistingServer: false,
    env: {
      // The test runner needs react-server resolution for lib code; the server must not inherit it.
      NODE_OPTIONS: "",
      PORT: String(PORT),
      LANCEDB_URI: path.join(scratch, "lancedb"),
      DATA_DIR: path.join(scratch, "data"),
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD_HASH: hashSync(ADMIN.password, 10),
      AUTH_SECRET: "e2e-only-secret-0123456789abcdef0123456789abcdef",
      AUTH_TRUST_HOST: "true",
    },
  },
});

import { expect, test } from "@playwright/test";
import { ConsultPage } from "./pages/consult-page";

test("a customer asks /support out loud and the avatar answers, lips moving, with a citation", async ({ page }) => {
  const consult = new ConsultPage(page);
  await consult.open("support");
  const still = await consult.mouthFingerprint("support");

  // The fake microphone plays a recorded question (see global-setup); hands-free ends it at the pause.
  await consult.handsFree.check();
  await expect(consult.transcript).toContainText(/password/i);
  // Recognised while it was spoken: the audio streamed to the server as the person talked.
  await expect(consult.transcript).toHaveAttribute("data-live", "true");
  await consult.handsFree.uncheck();

  await expect(consult.citations.first()).toBeVisible();
  const mouth = await consult.mouthWhileSpeaking("support");
  expect(new Set(mouth).size).toBeGreaterThan(1);

  await expect(consult.player).toHaveAttribute("data-speaking", "false", { timeout: 60_000 });
  expect(await consult.mouthFingerprint("support")).toBe(still);

  await consult.citations.first().click();
  await expect(page.getByRole("dialog")).toBeVisible();
});

test("an emergency typed on /triage is escalated before anything else", async ({ page }) => {
  const consult = new ConsultPage(page);
  await consult.open("triage");
  await consult.ask("my dad has crushing chest pain and he can't breathe");
  await expect(consult.safetyBanner).toBeVisible();
  await expect(consult.safetyBanner).toContainText("999");
  await expect(consult.answer).toContainText("999");
  await expect(consult.citations).toHaveCount(0);
});

import { expect, type Locator, type Page } from "@playwright/test";

/** The /triage and /support consult pages, as a patient or customer uses them. */
export class ConsultPage {
  readonly input: Locator;
  readonly send: Locator;
  readonly handsFree: Locator;
  readonly transcript: Locator;
  readonly answer: Locator;
  readonly citations: Locator;
  readonly safetyBanner: Locator;
  readonly player: Locator;
  readonly canvas: Locator;

  constructor(readonly page: Page) {
    this.input = page.getByTestId("question-input");
    this.send = page.getByTestId("send-button");
    this.handsFree = page.getByRole("switch");
    this.transcript = page.getByTestId("transcript");
    this.answer = page.getByTestId("answer");
    this.citations = page.getByTestId("citation");
    this.safetyBanner = page.getByTestId("safety-banner");
    this.player = page.locator(".avatar-player");
    this.canvas = page.getByTestId("avatar-canvas");
  }

  async open(persona: "triage" | "support"): Promise<void> {
    await this.page.goto(`/${persona}`);
    await expect(this.player).toHaveAttribute("data-loaded", "true");
  }

  async ask(text: string): Promise<void> {
    await this.input.fill(text);
    await this.send.click();
  }

  /** A fingerprint of the avatar's mouth region as drawn on the canvas right now. */
  async mouthFingerprint(persona: string): Promise<string> {
    const box = (await (await this.page.request.get(`/api/personas/${persona}/avatar?format=json`)).json()).mouth as {
      x: number;
      y: number;
      width: number;
      height: number;
    };
    return this.canvas.evaluate((el, b) => {
      const canvas = el as HTMLCanvasElement;
      const ctx = canvas.getContext("2d");
      if (!ctx) return "";
      const data = ctx.getImageData(Math.round(b.x), Math.round(b.y), Math.round(b.width), Math.round(b.height)).data;
      let h = 0;
      for (let i = 0; i < data.length; i += 4) h = (h * 31 + data[i]! + data[i + 1]! * 7 + data[i + 2]! * 13) >>> 0;
      return String(h);
    }, box);
  }

  /** Mouth fingerprints sampled every 120 ms while the avatar says it is speaking. */
  async mouthWhileSpeaking(persona: string, samples = 12): Promise<string[]> {
    await expect(this.player).toHaveAttribute("data-speaking", "true");
    const seen: string[] = [];
    for (let i = 0; i < samples && (await this.player.getAttribute("data-speaking")) === "true"; i++) {
      seen.push(await this.mouthFingerprint(persona));
      await this.page.waitForTimeout(120);
    }
    return seen;
  }
}

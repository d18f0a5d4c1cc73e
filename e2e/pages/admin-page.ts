import { expect, type Locator, type Page } from "@playwright/test";

/** The /admin area as a knowledge-base administrator uses it. */
export class AdminPage {
  readonly uploadInput: Locator;
  readonly rows: Locator;

  constructor(readonly page: Page) {
    this.uploadInput = page.getByTestId("upload-input");
    this.rows = page.getByTestId("document-row");
  }

  async signIn(email: string, password: string): Promise<void> {
    await this.page.goto("/admin/login");
    await this.page.getByTestId("login-email").fill(email);
    await this.page.getByTestId("login-password").fill(password);
    await this.page.getByTestId("login-submit").click();
    await expect(this.page.getByTestId("logout")).toBeVisible();
  }

  async openPersona(persona: string): Promise<void> {
    await this.page.goto(`/admin/${persona}`);
    await expect(this.page.getByTestId("documents-table")).toBeVisible();
  }

  row(docId: string): Locator {
    return this.page.locator(`[data-testid="document-row"][data-doc-id="${docId}"]`);
  }

  async upload(files: string[]): Promise<void> {
    await this.uploadInput.setInputFiles(files);
    for (const f of files) {
      const docId = f.split("/").pop()!.toLowerCase();
      await expect(this.row(docId)).toBeVisible({ timeout: 60_000 });
    }
  }

  async remove(docId: string): Promise<void> {
    await this.row(docId).getByTestId("delete-document").click();
    await this.page.getByTestId("confirm-delete").click();
    await expect(this.row(docId)).toHaveCount(0);
  }
}

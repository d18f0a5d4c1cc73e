import path from "node:path";
import { expect, test } from "@playwright/test";
import { ADMIN, UPLOADS } from "../playwright.config";
import { AdminPage } from "./pages/admin-page";
import { ConsultPage } from "./pages/consult-page";

test("a logged-out visitor gets no admin page and no kb API", async ({ page, request }) => {
  await page.goto("/admin/triage");
  await expect(page).toHaveURL(/\/admin\/login/);
  const list = await request.get("/api/kb/triage/documents");
  expect(list.status()).toBe(401);
  const del = await request.delete("/api/kb/triage/documents/chest-pain.md");
  expect(del.status()).toBe(401);
});

test("an admin uploads a PDF and a DOCX, patients get answers from them, and a deleted one is no longer cited", async ({
  page,
}) => {
  const admin = new AdminPage(page);
  await admin.signIn(ADMIN.email, ADMIN.password);
  await admin.openPersona("triage");
  await admin.upload([path.join(UPLOADS, "shuttle-bus.pdf"), path.join(UPLOADS, "pharmacy-hours.docx")]);

  const consult = new ConsultPage(page);
  await consult.open("triage");
  await consult.ask("when does the hospital shuttle bus leave from the car park");
  await expect(consult.citations.first()).toBeVisible();
  await expect(page.getByText("Shuttle bus timetable").first()).toBeVisible();
  await consult.ask("what time does the outpatient pharmacy open on saturday");
  await expect(page.getByText("Outpatient pharmacy opening hours").first()).toBeVisible();

  await admin.openPersona("triage");
  await admin.remove("shuttle-bus.pdf");

  await consult.open("triage");
  await consult.ask("when does the hospital shuttle bus leave from the car park");
  await expect(consult.answer).not.toHaveText("");
  await expect(page.getByText("Shuttle bus timetable")).toHaveCount(0);
});

// The ticket as the technician who receives it reads it, in the same real browser: the
// screenshot the visitor sent, shown through short-lived links; the page in words; and
// "Marcar como resuelto" working with scripts turned off.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { axeClean, botMessage, openPage, opened, server, sessionOf, shots, toTicket, visit, widgetDir } from "./harness.mjs";

const png = fs.readFileSync(path.resolve(widgetDir, "..", "shared", "src", "services", "demo.png"));

/** A conversation with a screenshot and a ticket, made in the widget; the ticket's link. */
async function ticketLink() {
  const { page } = await visit();
  await opened(page);
  await page.locator('input[type="file"]').setInputFiles({ name: "captura.png", mimeType: "image/png", buffer: png });
  await page.locator(".msg.bot").nth(1).waitFor({ timeout: 20000 });
  await toTicket(page);
  const history = await (await fetch(`${server.api}/api/session/${await sessionOf(page)}/history`)).json();
  return { link: history.tickets[0].ticketUrl, session: await sessionOf(page), widget: page };
}

test("the ticket page shows the screenshot, reads in words, and is resolved without scripts", async () => {
  const { link, widget } = await ticketLink();
  const v = await openPage("about:blank", { javaScriptEnabled: false });
  const thumbnail = v.page.waitForResponse((r) => r.url().includes("/api/files/"));
  await v.page.goto(link);
  await v.page.getByRole("heading", { name: /^Ticket STI-\d{8}-[A-Z0-9]{6}$/ }).waitFor();
  const loaded = await thumbnail;
  const [url, status, type] = [loaded.url(), loaded.status(), loaded.headers()["content-type"]];
  assert.equal(await v.page.locator("figure img").count(), 1, "one screenshot on the page");
  assert.equal(status, 200);
  assert.match(type, /^image\//);
  const expires = Number(new URL(url).searchParams.get("expires"));
  assert.ok(expires - Date.now() <= 10 * 60 * 1000 && expires > Date.now(), "a link for ten minutes at most");
  const tampered = new URL(url);
  tampered.searchParams.set("expires", String(expires + 60 * 60 * 1000));
  assert.equal((await fetch(tampered)).status, 403, "a link made to last longer is refused");
  const text = await v.page.locator("main").innerText();
  for (const words of ["Estado: Abierto", "La impresora no imprime", "Ronda 1: no se solucionó", "Horarios de America/Argentina/Buenos_Aires", "Aviso al equipo"]) {
    assert.ok(text.includes(words), `${words} in the page`);
  }
  assert.doesNotMatch(text, /NotSolved|printer ·|T\d\d:\d\d:\d\d/);
  await v.page.screenshot({ path: path.join(shots, "ticket-page-1280x800.png"), fullPage: true });

  await v.page.getByLabel("Nota (opcional)").fill("Se cambió el cable USB; imprime bien.");
  await v.page.getByRole("button", { name: "Marcar como resuelto" }).click();
  await v.page.getByText("Estado: Resuelto").waitFor();
  assert.ok(await v.page.getByText("Se cambió el cable USB; imprime bien.").isVisible());
  assert.equal(await v.page.getByRole("button", { name: "Marcar como resuelto" }).count(), 0);

  // The visitor who comes back sees the ticket resolved on its card.
  await widget.reload();
  await widget.getByRole("button", { name: /Abrir chat/ }).click();
  await widget.locator(".ticket").filter({ hasText: "Resuelto" }).waitFor();
});

test("the ticket page passes axe, with its copy button working under the page's strict policy", async () => {
  const { link } = await ticketLink();
  const v = await openPage(link);
  await v.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(link).origin });
  await v.page.getByRole("button", { name: "Copiar resumen" }).click();
  await v.page.getByRole("button", { name: "Copiado" }).waitFor();
  const copied = await v.page.evaluate(() => navigator.clipboard.readText());
  assert.match(copied, /^Ticket STI-\d{8}-[A-Z0-9]{6}\nNombre: Ana\nProblema: La impresora no imprime\n/);
  await axeClean(v, "ticket page");
});

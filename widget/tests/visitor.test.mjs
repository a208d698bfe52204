// What a visitor must never lose: the outcome after a reload, a message under network
// faults, a way out when the greeting fails; and what the leading chat widgets give them
// (rating, timestamps, marks, unread count, a host-page API). Each defect of issue 23 has
// a test here that fails without its fix; the key ones run on a desktop and a phone.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  BUSINESS_NUMBER, DESKTOP, PHONE, axeClean, botMessage, box, contrastOf, exportOf, failWith, launcher, opened, say,
  server, sessionOf, shots, toTicket, visit, widgetDir,
} from "./harness.mjs";

const png = fs.readFileSync(path.resolve(widgetDir, "..", "shared", "src", "services", "demo.png"));
const widget = (page) => page.locator("[data-sti-chat]");
const shadow = (page, fn, arg) => widget(page).evaluate(fn, arg);
const state = (page, n = -1) => shadow(page, (h, n) => [...h.shadowRoot.querySelectorAll(".msg.me")].at(n)?.dataset.state, n);
const transcriptCount = async (page, text) => (await exportOf(page)).transcript.filter((e) => e.text === text).length;

for (const [device, viewport] of [["desktop", DESKTOP], ["phone", PHONE]]) {
  test(`${device}: a reload brings back the ticket card, button answers by label, images with their notes, and the last options`, async () => {
    const v = await visit({ viewport });
    const { page } = v;
    await opened(page);
    await page.locator('input[type="file"]').setInputFiles({ name: "captura.png", mimeType: "image/png", buffer: png });
    await page.locator(".msg.bot").nth(1).waitFor({ timeout: 20000 });
    await toTicket(page);
    const ticketText = await page.locator(".msg.bot").filter({ has: page.locator(".ticket") }).locator(".text").innerText();
    assert.doesNotMatch(ticketText, /https?:|%[0-9A-F]{2}/, "the card is the link: no URL in the text");
    assert.ok(ticketText.length < 220, `a short message (${ticketText.length} chars)`);
    if (device === "desktop") await page.screenshot({ path: path.join(shots, "ticket-card-1280x800.png") });

    await page.reload();
    await launcher(page).click();
    const link = page.getByRole("link", { name: /WhatsApp/ });
    await link.waitFor();
    assert.ok((await link.getAttribute("href")).startsWith(`https://wa.me/${BUSINESS_NUMBER}?text=`), "the business's number, whole");
    assert.match(await page.locator(".ticket strong").innerText(), /^STI-\d{8}-[A-Z0-9]{6}$/);
    const mine = await page.locator(".msg.me p").allInnerTexts();
    assert.deepEqual(mine.slice(-3), ["No", "Hablar con un técnico", "Sí, crear ticket"], "button answers by their label");
    assert.ok(mine.includes("📷 Imagen enviada"), mine.join(" | "));
    const text = await page.locator(".log").innerText();
    assert.doesNotMatch(text, /\[(PHONE|no|tech|ticket)\]/);
    const enabled = page.locator(".options.live button:enabled");
    assert.deepEqual(await enabled.allInnerTexts(), ["Tengo otro problema"], "the last message's options, and only those");
    assert.equal(await page.locator(".msg time[datetime]").count(), await page.locator(".msg.bot:not(.rate), .msg.me").count(), "every message has its time");
    await page.getByRole("dialog").evaluate((p) => Promise.all(p.getAnimations().map((a) => a.finished)));
    await page.screenshot({ path: path.join(shots, `restored-after-reload-${viewport.width}x${viewport.height}.png`) });
    await axeClean(v, `restored ticket card and rating, default colour, ${device}`);
    await enabled.click();
    // The new case's question (an earlier message, such as the one about the image, may
    // ask for the problem too).
    await page.locator(".msg.bot").filter({ hasText: /Empecemos de nuevo/ }).filter({ hasText: /Contame qué problema/ }).waitFor();
  });

  test(`${device}: under 429, an expired session, 500 ×3 and a 400 every message ends delivered once or visibly failed`, async () => {
    const { page, expectedErrors } = await visit({ viewport });
    expectedErrors.push(/40[04]|429|500|Failed to load/);
    await opened(page);
    const first = await sessionOf(page);
    const faults = ["429", "404", "500", "500", "500"];
    await page.route("**/api/chat", async (route) => {
      const fault = faults.shift();
      if (fault === "429") return route.fulfill(failWith(429, "rate_limited", { "retry-after": "1" }));
      if (fault === "404") return route.fulfill(failWith(404, "session_not_found"));
      if (fault === "500") return route.fulfill(failWith(500, "internal_error"));
      return route.continue();
    });
    await say(page, "me llamo Resistente");
    await page.getByText(/Tu sesión había vencido/).waitFor();
    await page.locator(".msg.me[data-state=delivered]").waitFor({ timeout: 20000 });
    assert.equal(faults.length, 0, "every fault was met");
    assert.notEqual(await sessionOf(page), first, "a new session");
    assert.equal(await transcriptCount(page, "me llamo Resistente"), 1, "stored exactly once, in the new session");
    const order = await page.locator(".log > .msg").evaluateAll((n) => n.map((m) => m.className));
    assert.deepEqual(order.slice(-4), ["msg system info", "msg bot", "msg me", "msg bot"], "notice, greeting, message, answer");

    await page.unroute("**/api/chat");
    await page.route("**/api/chat", (route) => route.fulfill(failWith(400, "missing_session_id")));
    await say(page, "la impresora no imprime");
    const failure = page.locator(".fail").last();
    await failure.waitFor();
    assert.match(await failure.innerText(), /No se envió: Algo salió mal/);
    assert.doesNotMatch(await page.locator("[data-sti-chat]").evaluate((h) => h.shadowRoot.textContent), /developer text|missing_session_id/);
    assert.equal(await state(page), "failed");
    await page.unroute("**/api/chat");
    await failure.getByRole("button", { name: "Reintentar" }).click();
    await page.locator(".msg.bot ol li").first().waitFor();
    assert.equal(await state(page), "delivered");
    assert.equal(await transcriptCount(page, "la impresora no imprime"), 1);
  });
}

test("a message that fails four times is marked failed with Reintentar, and retrying delivers it once", async () => {
  const { page, expectedErrors } = await visit();
  expectedErrors.push(/503/);
  await opened(page);
  let fail = 4;
  await page.route("**/api/chat", (route) => (fail-- > 0 ? route.fulfill(failWith(503, "storage_unavailable")) : route.continue()));
  await say(page, "me llamo Insistente");
  await page.locator(".fail").waitFor({ timeout: 15000 });
  assert.equal(await state(page), "failed");
  await page.getByRole("button", { name: "Reintentar" }).click();
  await page.locator(".msg.me[data-state=delivered]").waitFor();
  assert.equal(await transcriptCount(page, "me llamo Insistente"), 1);
});

test("a request the server never answers is given up after 20 s and sent again with the same messageId", async () => {
  const { page, expectedErrors } = await visit();
  expectedErrors.push(/net::ERR_|Failed to load/);
  await opened(page);
  const ids = [];
  await page.route("**/api/chat", async (route) => {
    ids.push(JSON.parse(route.request().postData()).messageId);
    if (ids.length === 1) return; // never answered
    await route.continue();
  });
  await say(page, "me llamo Paciente");
  await page.locator(".msg.me[data-state=delivered]").waitFor({ timeout: 40000 });
  assert.equal(ids.length, 2);
  assert.equal(ids[0], ids[1], "the same messageId: the server answers it once");
  assert.equal(await transcriptCount(page, "me llamo Paciente"), 1);
});

test("offline: the message shows as pending, then is delivered once when the network is back", async () => {
  const { page, context, expectedErrors } = await visit({ viewport: PHONE });
  expectedErrors.push(/ERR_INTERNET_DISCONNECTED|Failed to fetch|net::/);
  await opened(page);
  await context.setOffline(true);
  await say(page, "me llamo Desconectada");
  await page.locator(".msg.me[data-state=pending]").filter({ hasText: "Pendiente" }).waitFor();
  await context.setOffline(false);
  await page.locator(".msg.me[data-state=delivered]").waitFor();
  assert.equal(await transcriptCount(page, "me llamo Desconectada"), 1);
});

test("a greeting that fails offline offers Reintentar and comes by itself when the network is back", async () => {
  const { page, context, expectedErrors } = await visit();
  expectedErrors.push(/ERR_INTERNET_DISCONNECTED|Failed to fetch|net::/);
  await context.setOffline(true);
  await launcher(page).click();
  const failure = page.locator(".msg.system.error").filter({ hasText: "No pudimos conectarnos" });
  await failure.getByRole("button", { name: "Reintentar" }).waitFor();
  await context.setOffline(false);
  await page.evaluate(() => dispatchEvent(new Event("online")));
  await botMessage(page, 1);
  assert.equal(await failure.count(), 0, "the failure is gone");
  await say(page, "me llamo Ana");
  await botMessage(page, 2);
});

test("after 'Borrar mis datos' (asked inside the widget), typing starts a new conversation", async () => {
  const { page } = await visit();
  await opened(page);
  await say(page, "me llamo Ana");
  await botMessage(page, 2);
  const before = await sessionOf(page);
  await page.getByRole("button", { name: "Borrar mis datos" }).click();
  await page.getByText("¿Borrar esta conversación").waitFor();
  await page.getByRole("button", { name: "Cancelar" }).click();
  assert.equal(await page.getByText("¿Borrar esta conversación").count(), 0, "canceling changes nothing");
  await page.getByRole("button", { name: "Borrar mis datos" }).click();
  await page.getByRole("button", { name: "Borrar", exact: true }).click();
  await page.getByText("Tus datos fueron borrados.").waitFor();
  await say(page, "me llamo Bruno");
  await page.locator(".msg.me[data-state=delivered]").waitFor();
  const now = await sessionOf(page);
  assert.ok(now && now !== before, "a new session");
  assert.match(await botMessage(page, 2), /Bruno/, "greeted, then answered");
});

test("only the last message's quick replies act", async () => {
  const { page } = await visit();
  await opened(page);
  await say(page, "me llamo Ana");
  await botMessage(page, 2);
  await say(page, "la impresora no imprime");
  await botMessage(page, 3);
  await page.getByRole("button", { name: "No", exact: true }).last().click();
  await botMessage(page, 4);
  await say(page, "tengo otro problema: no tengo internet");
  await botMessage(page, 5);
  const live = await page.locator(".options button:enabled").count();
  const last = await page.locator(".msg.bot").last().locator(".options button").count();
  assert.equal(live, last, "older buttons are disabled");
  assert.ok((await page.locator(".options button:disabled").count()) >= 3);
});

test("Escape in the host page's own dialog is the host's: the widget stays open", async () => {
  const { page } = await visit();
  await opened(page);
  await page.evaluate(() => { const d = document.getElementById("host-dialog"); d.showModal(); d.querySelector("button").focus(); });
  await page.keyboard.press("Escape");
  assert.equal(await page.evaluate(() => document.getElementById("host-dialog").open), false, "the host's dialog closed");
  assert.ok(await page.getByRole("dialog", { name: "Soporte" }).isVisible(), "the widget is still open");
  await box(page).focus();
  await page.keyboard.press("Escape");
  assert.ok(await page.getByRole("dialog", { name: "Soporte" }).isHidden(), "Escape inside the widget closes it");
});

/** The close button focused from the keyboard; its ring against the header, and a ring in the log against the panel. */
async function rings(page) {
  await box(page).focus();
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Shift+Tab");
    if (await shadow(page, (h) => h.shadowRoot.activeElement?.getAttribute("aria-label") === "Cerrar chat")) break;
  }
  return shadow(page, (h) => {
    const r = h.shadowRoot;
    const close = getComputedStyle(r.activeElement);
    const head = getComputedStyle(r.querySelector(".head"));
    const panel = getComputedStyle(r.querySelector(".panel"));
    const option = r.querySelector(".option");
    option?.focus();
    return { close: [close.outlineColor, head.backgroundColor, close.outlineStyle], option: [option && getComputedStyle(option).outlineColor, panel.backgroundColor] };
  });
}

for (const scheme of ["light", "dark"]) {
  test(`focus rings read at 3:1 or better (${scheme})`, async () => {
    const { page } = await visit({ colorScheme: scheme });
    await launcher(page).focus();
    await page.keyboard.press("Enter");
    await botMessage(page, 1);
    await say(page, "me llamo Ana");
    await say(page, "la impresora no imprime");
    await botMessage(page, 3);
    const { close, option } = await rings(page);
    assert.equal(close[2], "solid", "the close button shows a ring");
    assert.ok(contrastOf(close[0], close[1]) >= 3, `close ring ${close[0]} on ${close[1]}: ${contrastOf(close[0], close[1]).toFixed(2)}`);
    assert.ok(contrastOf(option[0], option[1]) >= 3, `option ring ${option[0]} on ${option[1]}: ${contrastOf(option[0], option[1]).toFixed(2)}`);
  });
}

test("a light brand colour gets dark text, and axe passes in every state with it", async () => {
  const v = await visit({ color: "#ffd400" });
  const { page } = v;
  const colours = await shadow(page, (h) => {
    const s = getComputedStyle(h.shadowRoot.querySelector(".launcher"));
    return [s.color, s.backgroundColor];
  });
  assert.ok(contrastOf(...colours) >= 4.5, `launcher ${colours}: ${contrastOf(...colours).toFixed(2)}`);
  await opened(page);
  await axeClean(v, "greeting, #ffd400");
  await toTicket(page);
  await page.locator(".rate").waitFor();
  await axeClean(v, "ticket card and rating, #ffd400");
  const send = await shadow(page, (h) => { const s = getComputedStyle(h.shadowRoot.querySelector(".me")); return [s.color, s.backgroundColor]; });
  assert.ok(contrastOf(...send) >= 4.5, `visitor bubble ${send}`);
});

test("axe passes in every state with the default colour: resume choice, failure, erase question, rating, dark mode", async () => {
  const first = await visit({ persist: "local" });
  await opened(first.page);
  await say(first.page, "me llamo Ana");
  await botMessage(first.page, 2);
  await first.page.waitForFunction(() => Object.entries(localStorage).some(([k, v]) => k.startsWith("sti-chat:") && v.includes("token")));
  const profile = await first.context.storageState();
  const later = await visit({ persist: "local", storageState: profile });
  await launcher(later.page).click();
  await later.page.getByText("Hay una conversación anterior").waitFor();
  assert.ok(await box(later.page).isDisabled(), "nothing can be typed before choosing");
  await axeClean(later, "resume choice");

  const v = await visit({ colorScheme: "dark" });
  v.expectedErrors.push(/400/);
  await opened(v.page);
  await v.page.route("**/api/chat", (route) => route.fulfill(failWith(400, "empty_message")));
  await say(v.page, "hola");
  await v.page.locator(".fail").waitFor();
  await v.page.getByRole("button", { name: "Borrar mis datos" }).click();
  await axeClean(v, "failed message and erase question, dark");
});

test("upload: the progress bar stays in view, can be canceled; a failed image has Reintentar; the note is the bot's", async () => {
  const { page, expectedErrors } = await visit({ viewport: PHONE, long: 40 });
  expectedErrors.push(/500|ERR_FAILED|net::/);
  await opened(page);
  for (const n of ["Ana", "la impresora no imprime"]) await say(page, n);
  await botMessage(page, 3);
  let release;
  await page.route("**/content?*", async (route) => { await new Promise((r) => { release = r; }); await route.continue().catch(() => {}); });
  const picker = page.locator('input[type="file"]');
  await picker.setInputFiles({ name: "captura.png", mimeType: "image/png", buffer: png });
  const progress = page.locator(".msg.image progress");
  await progress.waitFor();
  await page.waitForFunction(() => document.querySelector("[data-sti-chat]").shadowRoot.querySelector(".msg.image img").complete);
  await page.waitForTimeout(100);
  const [bar, logBox] = [await progress.boundingBox(), await page.locator(".log").boundingBox()];
  assert.ok(bar.y >= logBox.y && bar.y + bar.height <= logBox.y + logBox.height, `progress ${JSON.stringify(bar)} in ${JSON.stringify(logBox)}`);
  await page.locator(".msg.image").getByRole("button", { name: "Cancelar" }).click();
  await page.getByText("Subida cancelada").waitFor();
  assert.equal(await page.locator(".msg.image").count(), 0);
  release?.();

  await page.unroute("**/content?*");
  let failOnce = true;
  await page.route("**/content?*", (route) => {
    if (!failOnce) return route.continue();
    failOnce = false;
    return route.fulfill(failWith(500, "internal_error"));
  });
  await picker.setInputFiles({ name: "captura.png", mimeType: "image/png", buffer: png });
  const failure = page.locator(".fail").filter({ hasText: "No se pudo subir la imagen" });
  await failure.waitFor();
  assert.equal(await page.locator(".msg.image").getAttribute("data-state"), "failed");
  await failure.getByRole("button", { name: "Reintentar" }).click();
  const note = page.locator(".msg.bot").filter({ hasText: "📷" });
  await note.waitFor({ timeout: 20000 });
  assert.equal(await page.locator(".msg.image").getAttribute("data-state"), "delivered");
  // The canceled and the failed attempt left offers that never got bytes; one image arrived.
  assert.equal((await exportOf(page)).uploads.filter((u) => u.status === "done").length, 1, "one image stored");
});

test("nothing shows before the stylesheet: no unstyled button, no layout shift", async () => {
  const { page, context } = await visit();
  let release;
  await context.route("**/widget.css", async (route) => { await new Promise((r) => { release = r; }); await route.continue(); });
  await page.reload({ waitUntil: "domcontentloaded" });
  await page.waitForFunction(() => !!document.querySelector("[data-sti-chat]"));
  const before = await page.evaluate(() => [getComputedStyle(document.querySelector("[data-sti-chat]")).display, document.documentElement.scrollHeight]);
  assert.equal(before[0], "none", "the widget stays out of the page until styled");
  release();
  await launcher(page).waitFor();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.equal(height, before[1], "no layout shift");
});

test("long pastes are never cut: the counter says how much is over and the text stays; RTL and lang", async () => {
  const { page } = await visit();
  await opened(page);
  const long = "x".repeat(2100);
  await box(page).fill(long);
  assert.equal((await box(page).inputValue()).length, 2100, "nothing silently cut");
  await page.getByText("Sobran 100 caracteres").waitFor();
  await box(page).press("Enter");
  await page.getByRole("alert").filter({ hasText: /demasiado largo/ }).waitFor();
  assert.equal((await box(page).inputValue()).length, 2100, "the text stays to be shortened");
  assert.equal(await page.locator(".msg.me").count(), 0);
  await box(page).fill("مرحبا، اسمي علي");
  await box(page).press("Enter");
  await botMessage(page, 2);
  assert.equal(await page.locator(".msg.me p").first().getAttribute("dir"), "auto");
  assert.equal(await box(page).getAttribute("dir"), "auto");
  assert.equal(await widget(page).getAttribute("lang"), "es");
  assert.equal(await shadow(page, (h) => h.shadowRoot.querySelectorAll("header, footer, nav, aside, main").length), 0, "no landmark of ours on the host page");
});

test("phone: opening leaves the keyboard closed, 16 px input, the log stays pinned when the viewport shrinks, no scroll chaining", async () => {
  const { page } = await visit({ viewport: PHONE });
  await opened(page);
  assert.notEqual(await shadow(page, (h) => h.shadowRoot.activeElement?.id), "sti-input", "the text box is not focused");
  for (const n of ["Ana", "la impresora no imprime"]) { await say(page, n); }
  await botMessage(page, 3);
  const styles = await shadow(page, (h) => {
    const r = h.shadowRoot;
    return [getComputedStyle(r.querySelector("textarea")).fontSize, getComputedStyle(r.querySelector(".log")).overscrollBehaviorY, getComputedStyle(r.querySelector(".panel")).overscrollBehaviorY];
  });
  assert.deepEqual(styles, ["16px", "contain", "contain"]);
  await page.setViewportSize({ width: 390, height: 500 });
  await page.waitForTimeout(300);
  const gap = await shadow(page, (h) => { const l = h.shadowRoot.querySelector(".log"); return l.scrollHeight - l.scrollTop - l.clientHeight; });
  assert.ok(gap < 5, `the log's end is in view (${gap}px below)`);
});

test("the rating after a solved problem: thumbs, a comment, counted once", async () => {
  const { page } = await visit();
  await opened(page);
  await say(page, "me llamo Ana");
  await say(page, "la impresora no imprime");
  await botMessage(page, 3);
  assert.match(await botMessage(page, 3), /^La impresora no imprime: probemos esto\./m, "a natural title");
  await page.getByRole("button", { name: "Sí", exact: true }).last().click();
  const rate = page.getByRole("group", { name: "¿Te sirvió esta ayuda?" });
  await rate.waitFor();
  await rate.getByRole("button", { name: "Sí, me sirvió" }).click();
  await rate.getByRole("textbox").fill("muy claro, gracias");
  await rate.getByRole("button", { name: "Enviar" }).click();
  await page.getByText("¡Gracias por tu opinión!").waitFor();
  const exported = await exportOf(page);
  assert.deepEqual(exported.session.feedback.map((f) => [f.outcome, f.up, f.comment]), [["solved", true, "muy claro, gracias"]]);
  const metrics = await (await fetch(`${server.api}/api/metrics`)).json();
  assert.ok(metrics.feedback.byOutcome.some((l) => l.outcome === "solved" && l.category === "printer" && l.up >= 1), JSON.stringify(metrics.feedback));
  await page.reload();
  await launcher(page).click();
  await page.locator(".msg.bot").filter({ hasText: /Excelente/ }).waitFor();
  assert.equal(await page.locator(".rate").count(), 0, "rated once: not asked again");
});

test("the host page's API, the unread badge and tab title, the typing indicator, data-position=left", async () => {
  const { page } = await visit({ position: "left" });
  await widget(page).waitFor({ state: "attached" });
  await launcher(page).waitFor();
  assert.ok((await launcher(page).boundingBox()).x < 100, "on the left");
  await page.evaluate(() => {
    window.__events = [];
    for (const name of ["open", "close", "message", "ticket", "unread"]) window.STIChat.on(name, (d) => window.__events.push([name, d?.from ?? d?.ticketId ?? d ?? null]));
  });
  await page.evaluate(() => window.STIChat.open());
  await botMessage(page, 1);
  await say(page, "me llamo Ana");
  await botMessage(page, 2);
  let release;
  await page.route("**/api/chat", async (route) => { await new Promise((r) => { release = r; }); await route.continue(); });
  await say(page, "la impresora no imprime");
  await page.getByText("El asistente está escribiendo…").waitFor();
  await page.evaluate(() => window.STIChat.close());
  release();
  await page.waitForFunction(() => document.title.startsWith("(1) "));
  assert.equal(await page.locator(".badge").innerText(), "1");
  await page.evaluate(() => window.STIChat.toggle());
  await page.waitForFunction(() => document.title === "Host page");
  const events = await page.evaluate(() => window.__events.map((e) => e.join(":")));
  for (const e of ["open:", "message:visitor", "message:bot", "close:", "unread:1", "unread:0"]) {
    assert.ok(events.some((x) => x.startsWith(e)), `${e} in ${events.join(", ")}`);
  }
  await page.unroute("**/api/chat");
  await page.getByRole("button", { name: "No", exact: true }).last().click();
  await botMessage(page, 4);
  await page.getByRole("button", { name: /Hablar con un técnico/ }).last().click();
  await botMessage(page, 5);
  await page.getByRole("button", { name: /crear ticket/i }).last().click();
  await page.waitForFunction(() => window.__events.some(([n]) => n === "ticket"));
});

test("copy resets, and the readable transcript download", async () => {
  const { page, context } = await visit();
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.hostOrigin });
  await opened(page);
  await toTicket(page);
  const copy = page.getByRole("button", { name: "Copiar número de ticket" });
  await copy.click();
  await page.getByRole("button", { name: "Copiado" }).waitFor();
  await page.getByRole("button", { name: "Copiar número de ticket" }).waitFor({ timeout: 4000 });
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Descargar chat" }).click()]);
  assert.match(download.suggestedFilename(), /^sti-chat-\d{4}-\d{2}-\d{2}\.txt$/);
  const text = fs.readFileSync(await download.path(), "utf8");
  assert.match(text, /\] Vos:\nme llamo Ana\n/);
  assert.match(text, /\] Asistente:\n¡Hola!/);
  assert.match(text, /Ticket STI-\d{8}-[A-Z0-9]{6} — Seguir por WhatsApp: https:\/\/wa\.me\//);
  assert.doesNotMatch(text, /[{}]"/, "not JSON");
});

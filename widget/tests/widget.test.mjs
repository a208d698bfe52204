// The widget in a real browser (Debian's chromium, driven by playwright-core): a host page
// on one loopback origin with the strict CSP of the README embeds the widget served by
// `sti serve` on another (see harness.mjs). Every test also asserts zero console errors,
// zero CSP violations and no browser dialog. Run by ./scripts/test (`npm test` in widget/).
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { PHONE, axeClean, botMessage, box, exportOf, failWith, launcher, say, server, shots, visit, widgetDir } from "./harness.mjs";

const log = (page) => page.getByRole("log");

test("the budget: at most 14 KB of gzipped JS and 4 KB of gzipped CSS", () => {
  const js = zlib.gzipSync(fs.readFileSync(path.join(widgetDir, "widget.js")), { level: 9 }).length;
  const css = zlib.gzipSync(fs.readFileSync(path.join(widgetDir, "widget.css")), { level: 9 }).length;
  console.log(`widget.js ${js} B gzip, widget.css ${css} B gzip`);
  assert.ok(js <= 14 * 1024, `widget.js is ${js} B gzipped`);
  assert.ok(css <= 4 * 1024, `widget.css is ${css} B gzipped`);
});

test("nothing is fetched until the visitor opens the chat", async () => {
  const { page } = await visit();
  const calls = [];
  page.on("request", (r) => { if (r.url().includes("/api/")) calls.push(r.url()); });
  await launcher(page).waitFor();
  await page.waitForTimeout(300);
  assert.deepEqual(calls, []);
  await launcher(page).click();
  await botMessage(page, 1);
  assert.ok(calls.some((u) => u.endsWith("/api/greeting")), calls.join());
});

test("a whole conversation: name, problem, steps, no, technician, ticket card with a WhatsApp link", async () => {
  const { page, context } = await visit();
  await launcher(page).click();
  assert.equal(await page.locator(".launcher").getAttribute("aria-expanded"), "true");
  const greeting = await botMessage(page, 1);
  assert.match(greeting, /datos|privacidad|borrar/i, "the privacy notice comes first");
  await say(page, "me llamo Ana");
  await botMessage(page, 2);
  await say(page, "la impresora no imprime");
  await botMessage(page, 3);
  assert.ok((await page.locator(".msg.bot").nth(2).locator("ol li").count()) >= 2, "steps as a numbered list");
  await page.screenshot({ path: path.join(shots, "desktop-1280x800.png") });
  // Pinned to this message's button: a fast answer brings a new "No" that `.last()` would pick.
  const no = await page.getByRole("button", { name: "No", exact: true }).last().elementHandle();
  await no.click();
  assert.ok(await no.isDisabled(), "a used quick reply is disabled");
  await botMessage(page, 4);
  await page.getByRole("button", { name: /Hablar con un técnico/ }).last().click();
  await botMessage(page, 5);
  const create = page.getByRole("button", { name: /crear ticket/i }).last();
  if (await create.isVisible()) await create.click();
  const link = page.getByRole("link", { name: /WhatsApp/ });
  await link.waitFor();
  assert.match(await link.getAttribute("href"), /^https:\/\/wa\.me\//);
  assert.equal(await link.getAttribute("rel"), "noopener noreferrer");
  assert.match(await page.locator(".ticket strong").innerText(), /^STI-\d{8}-[A-Z0-9]{6}$/);
  const [popup] = await Promise.all([context.waitForEvent("page"), link.click()]);
  assert.match(popup.url(), /^https:\/\/wa\.me\//);
});

test("English with data-locale=en", async () => {
  const { page } = await visit({ locale: "en" });
  await launcher(page, /Open chat/).click();
  assert.match(await botMessage(page, 1), /name/i);
  assert.ok(await page.getByRole("button", { name: /image/i }).isVisible());
  await say(page, "I'm Ann");
  assert.match(await botMessage(page, 2), /Ann/);
});

test("what the visitor types is shown as text, never as markup", async () => {
  const { page } = await visit();
  await launcher(page).click();
  await botMessage(page, 1);
  const attack = `<img src=x onerror="window.__owned=1">`;
  await say(page, attack);
  await botMessage(page, 2);
  assert.equal(await page.locator(".msg.me p").first().innerText(), attack);
  assert.equal(await page.evaluate(() => window.__owned), undefined);
  assert.equal(await page.locator("[data-sti-chat]").evaluate((h) => h.shadowRoot.querySelectorAll(".log img").length), 0);
});

test("an image through the picker: preview, progress, then its hint", async () => {
  const { page } = await visit();
  await launcher(page).click();
  await botMessage(page, 1);
  const puts = [];
  page.on("request", (r) => { if (r.method() === "PUT") puts.push(r.url()); });
  const png = fs.readFileSync(path.resolve(widgetDir, "..", "shared", "src", "services", "demo.png"));
  await page.locator('input[type="file"]').setInputFiles({ name: "captura.png", mimeType: "image/png", buffer: png });
  await page.locator(".msg.image img").waitFor();
  await page.locator(".msg.bot").nth(1).waitFor({ timeout: 20000 });
  assert.equal(puts.length, 1, "the signed-URL flow was used");
  assert.match(puts[0], /\/content\?/);
  assert.equal(await page.locator(".msg.image progress").count(), 0, "the progress bar is done");
  const view = await exportOf(page);
  assert.equal(view.uploads[0].status, "done");
});

test("a too-large or non-image file is refused in the page, without a request", async () => {
  const { page } = await visit();
  await launcher(page).click();
  await botMessage(page, 1);
  const uploads = [];
  page.on("request", (r) => { if (/upload/.test(r.url())) uploads.push(r.url()); });
  const picker = page.locator('input[type="file"]');
  await picker.setInputFiles({ name: "big.jpg", mimeType: "image/jpeg", buffer: Buffer.alloc(5 * 1024 * 1024 + 1) });
  await page.getByRole("alert").filter({ hasText: /5 MB/ }).waitFor();
  await picker.setInputFiles({ name: "notas.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.7") });
  await page.getByRole("alert").filter({ hasText: /JPEG/ }).waitFor();
  assert.deepEqual(uploads, []);
});

test("a reload keeps the conversation", async () => {
  const { page } = await visit();
  await launcher(page).click();
  await botMessage(page, 1);
  await say(page, "me llamo Ana");
  await botMessage(page, 2);
  await page.reload();
  await launcher(page).click();
  await page.locator(".msg.me").filter({ hasText: "me llamo Ana" }).waitFor();
  const restored = await page.locator(".msg.bot").count();
  assert.ok(restored >= 1, "the bot's answer is back");
  // The same session goes on where it was: the next message is taken as the problem.
  await say(page, "la impresora no imprime");
  await botMessage(page, restored + 1);
  assert.ok((await page.locator(".msg.bot").last().locator("ol li").count()) >= 2, "steps, so the session went on");
});

test("data-persist=local on a shared computer: nothing shows until the visitor chooses to continue", async () => {
  const first = await visit({ persist: "local" });
  await launcher(first.page).click();
  await botMessage(first.page, 1);
  await say(first.page, "me llamo Ana");
  await botMessage(first.page, 2);
  await first.page.waitForFunction(() => Object.entries(localStorage).some(([k, v]) => k.startsWith("sti-chat:") && v.includes("token")));
  const kept = await first.page.evaluate(() => JSON.stringify(localStorage));
  assert.doesNotMatch(kept, /web-[0-9a-f]{32}/, "the browser keeps a resume token, never the session id");
  const profile = await first.context.storageState();

  // The next person on this browser: a choice, and nothing of the conversation.
  const later = await visit({ persist: "local", storageState: profile });
  await launcher(later.page).click();
  await later.page.getByText("Hay una conversación anterior").waitFor();
  assert.equal(await later.page.locator(".msg.me").count(), 0, "the old transcript is not shown before choosing");
  fs.mkdirSync(shots, { recursive: true });
  await later.page.screenshot({ path: path.join(shots, "resume-choice-1280x800.png") });
  await later.page.getByRole("button", { name: "Empezar de nuevo" }).click();
  await later.page.locator(".msg.bot").filter({ hasText: "¿Cómo te llamás?" }).waitFor();
  assert.equal(await later.page.locator(".msg.me").count(), 0);

  // The visitor who left it, on the same profile: continues where they were.
  const back = await visit({ persist: "local", storageState: profile });
  await launcher(back.page).click();
  await back.page.getByRole("button", { name: "Continuar" }).click();
  await back.page.locator(".msg.me").filter({ hasText: "me llamo Ana" }).waitFor();
  await say(back.page, "la impresora no imprime");
  await back.page.locator(".msg.bot ol li").first().waitFor();
});

test("sent offline, then back online: delivered exactly once", async () => {
  const { page, context, expectedErrors } = await visit();
  expectedErrors.push(/ERR_INTERNET_DISCONNECTED|Failed to fetch|net::/);
  await launcher(page).click();
  await botMessage(page, 1);
  await context.setOffline(true);
  await say(page, "me llamo Sin Conexión");
  await page.getByText(/sin conexión/i).first().waitFor();
  await page.waitForTimeout(500);
  await context.setOffline(false);
  await botMessage(page, 2);
  const transcript = (await exportOf(page)).transcript.filter((e) => e.text === "me llamo Sin Conexión");
  assert.equal(transcript.length, 1);
});

test("a one-off 503 is retried with the same messageId", async () => {
  const { page, expectedErrors } = await visit();
  expectedErrors.push(/503/);
  await launcher(page).click();
  await botMessage(page, 1);
  const ids = [];
  let failedOnce = false;
  await page.route("**/api/chat", async (route) => {
    ids.push(JSON.parse(route.request().postData()).messageId);
    if (!failedOnce) {
      failedOnce = true;
      await route.fulfill(failWith(503, "storage_unavailable"));
    } else await route.continue();
  });
  await say(page, "me llamo Reintento");
  await botMessage(page, 2);
  assert.equal(ids.length, 2);
  assert.equal(ids[0], ids[1]);
  assert.match(ids[0], /^[0-9a-f-]{36}$/);
});

test("a conversation at its message limit goes on in a new session, and says so", async () => {
  const { page, expectedErrors } = await visit();
  expectedErrors.push(/409/);
  await launcher(page).click();
  await botMessage(page, 1);
  let refused = false;
  await page.route("**/api/chat", async (route) => {
    if (refused) return route.continue();
    refused = true;
    await route.fulfill(failWith(409, "conversation_full"));
  });
  await say(page, "hola de nuevo");
  await page.getByText("máximo de mensajes").waitFor();
  await page.locator(".msg.bot").filter({ hasText: "¿Cómo te llamás?" }).nth(1).waitFor();
});

test("a 429 shows a countdown from Retry-After", async () => {
  const { page, expectedErrors } = await visit();
  expectedErrors.push(/429/);
  await launcher(page).click();
  await botMessage(page, 1);
  await page.route("**/api/chat", (route) => route.fulfill(failWith(429, "rate_limited", { "retry-after": "7" })));
  await say(page, "hola");
  await page.getByRole("alert").filter({ hasText: /[67] s/ }).waitFor();
  assert.ok(await page.getByRole("button", { name: "Enviar" }).isDisabled());
  assert.equal(await page.locator(".msg.me").last().getAttribute("data-state"), "pending", "kept to be sent, not dropped");
});

test("keyboard only: open, answer, use a quick reply, close with Escape", async () => {
  const { page } = await visit();
  await page.keyboard.press("Tab");
  assert.match(await page.evaluate(() => document.activeElement.getAttribute("data-sti-chat") !== null ? "widget" : ""), /widget/);
  await page.keyboard.press("Enter");
  await botMessage(page, 1);
  assert.ok(await box(page).evaluate((b) => b.getRootNode().activeElement === b), "focus moves to the message box");
  await page.keyboard.type("me llamo Teclado");
  await page.keyboard.press("Enter");
  await botMessage(page, 2);
  await page.keyboard.type("la impresora no imprime");
  await page.keyboard.press("Shift+Enter");
  assert.match(await box(page).inputValue(), /\n$/, "Shift+Enter is a new line");
  await page.keyboard.press("Enter");
  await botMessage(page, 3);
  // Tab through the panel: focus stays inside it.
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press("Tab");
    const inside = await page.evaluate(() => {
      const host = document.querySelector("[data-sti-chat]");
      const active = host.shadowRoot.activeElement;
      return document.activeElement === host && !!active && !!active.closest(".panel");
    });
    assert.ok(inside, `focus left the dialog after ${i + 1} Tab presses`);
  }
  const yes = page.getByRole("button", { name: "Sí", exact: true }).last();
  await yes.focus();
  await page.keyboard.press("Space");
  await botMessage(page, 4);
  await page.keyboard.press("Escape");
  assert.ok(await page.getByRole("dialog").isHidden());
  assert.ok(await launcher(page).evaluate((b) => b.getRootNode().activeElement === b), "focus returns to the launcher");
});

test("accessibility: axe finds no serious or critical violation on the open panel", async () => {
  const v = await visit();
  await launcher(v.page).click();
  await botMessage(v.page, 1);
  await say(v.page, "me llamo Ana");
  await botMessage(v.page, 2);
  await axeClean(v, "open panel");
});

test("phones: full screen, and the screenshots for the README", async () => {
  const { page } = await visit({ viewport: { width: 390, height: 844 } });
  await launcher(page).click();
  await botMessage(page, 1);
  await say(page, "me llamo Ana");
  await botMessage(page, 2);
  // Measured once the panel's opening animation is over (a fast server answers within it).
  await page.getByRole("dialog").evaluate((panel) => Promise.all(panel.getAnimations().map((a) => a.finished)));
  const box = await page.getByRole("dialog").boundingBox();
  assert.deepEqual([box.x, box.y, Math.round(box.width)], [0, 0, 390]);
  await page.screenshot({ path: path.join(shots, "phone-390x844.png") });
});

test("the visitor downloads and erases their data", async () => {
  const { page } = await visit();
  await launcher(page).click();
  await botMessage(page, 1);
  await say(page, "me llamo Ana");
  await botMessage(page, 2);
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Mis datos (JSON)" }).click()]);
  const saved = JSON.parse(fs.readFileSync(await download.path(), "utf8"));
  assert.ok(saved.transcript.some((e) => e.text === "me llamo Ana"));
  const id = saved.session.sessionId;
  await page.getByRole("button", { name: "Borrar mis datos" }).click();
  await page.getByRole("button", { name: "Borrar", exact: true }).click();
  await page.getByText("Tus datos fueron borrados.").waitFor();
  const gone = await fetch(`${server.api}/api/session/validate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sessionId: id }) });
  assert.deepEqual(await gone.json(), { valid: false });
});

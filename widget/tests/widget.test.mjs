// The widget in a real browser (Debian's chromium, driven by playwright-core): a host page
// on one loopback origin with the strict CSP of the README embeds the widget served by
// `sti serve` on another. Every test also asserts zero console errors and zero CSP
// violations. Run by ./scripts/test (`npm test` in widget/).
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { chromium } from "playwright-core";

const here = path.dirname(new URL(import.meta.url).pathname);
const widgetDir = path.resolve(here, "..");
const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), ".cache", "sti-target");
const stiBin = process.env.STI_BIN || path.join(target, "debug", "sti");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const shots = path.join(target, "widget-screenshots");
const axeSource = fs.readFileSync(path.join(widgetDir, "node_modules", "axe-core", "axe.min.js"), "utf8");

let sti, api, hostServer, hostOrigin, browser, dataDir;
const open = [];

function startSti() {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sti-widget-"));
  const env = {
    ...process.env,
    STI_ENV: "development",
    RUST_LOG: "warn",
    RATE_LIMIT_CHAT_PER_MIN_SESSION: "1000",
    RATE_LIMIT_CHAT_PER_MIN_IP: "1000",
    RATE_LIMIT_GREETING_PER_MIN: "1000",
    RATE_LIMIT_UPLOAD_PER_MIN: "1000",
  };
  delete env.STI_BACKEND;
  const child = spawn(stiBin, ["serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir], { env, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.on("error", (e) => reject(new Error(`cannot start ${stiBin} (build it with cargo build): ${e.message}`)));
    child.on("exit", (code) => reject(new Error(`sti serve exited with ${code}: ${out}`)));
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = /listening on (http:\/\/[0-9.:]+)/.exec(out);
      if (m) resolve({ child, base: m[1] });
    });
    child.stderr.on("data", (chunk) => { out += chunk; });
  });
}

/** The host page: another origin, nothing but the script tag, under the strict CSP. */
function startHost() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://host");
    if (url.pathname !== "/") { res.writeHead(404).end(); return; }
    const locale = url.searchParams.get("locale") || "es";
    const persist = url.searchParams.get("persist");
    const csp = `default-src 'none'; script-src ${api}; style-src ${api}; connect-src ${api}; img-src ${api} blob:`;
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-security-policy": csp });
    res.end(`<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Host page</title></head>
<body><main><h1>Una tienda cualquiera</h1><p>Contenido de la página.</p></main>
<script src="${api}/widget.js" defer data-api="${api}" data-locale="${locale}" data-title="Soporte" data-color="#0b5cad"${persist ? ` data-persist="${persist}"` : ""}></script></body></html>`);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

before(async () => {
  assert.ok(fs.existsSync(chromiumPath), `no browser at ${chromiumPath}: apt-get install -y chromium (./scripts/test does)`);
  assert.ok(fs.existsSync(stiBin), `no sti binary at ${stiBin}: cargo build --workspace (./scripts/test does)`);
  sti = await startSti();
  api = sti.base;
  hostServer = await startHost();
  hostOrigin = `http://127.0.0.1:${hostServer.address().port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  fs.mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  hostServer?.close();
  sti?.child.kill();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A fresh browser context on the host page, recording console errors and CSP violations. */
async function visit({ locale = "es", persist, viewport = { width: 1280, height: 800 }, storageState } = {}) {
  const context = await browser.newContext({ viewport, ...(storageState ? { storageState } : {}) });
  await context.route("https://wa.me/**", (route) => route.fulfill({ status: 200, contentType: "text/html", body: "<p>WhatsApp</p>" }));
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`), true);
  });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("dialog", (d) => d.accept());
  const query = new URLSearchParams({ locale, ...(persist ? { persist } : {}) });
  await page.goto(`${hostOrigin}/?${query}`);
  const visit = { context, page, problems, expectedErrors: [] };
  open.push(visit);
  return visit;
}

afterEach(async () => {
  while (open.length) {
    const { context, page, problems, expectedErrors } = open.pop();
    const violations = await page.evaluate(() => window.__violations).catch(() => []);
    await context.close();
    assert.deepEqual(violations, [], "CSP violations");
    const unexpected = problems.filter((p) => !expectedErrors.some((re) => re.test(p)));
    assert.deepEqual(unexpected, [], "console errors");
  }
});

const launcher = (page, name = /Abrir chat/) => page.getByRole("button", { name });
const log = (page) => page.getByRole("log");
const box = (page) => page.getByRole("textbox");

async function say(page, text) {
  await box(page).fill(text);
  await box(page).press("Enter");
}

/** Waits for the n-th bot message and returns its text. */
async function botMessage(page, n) {
  const bubble = page.locator(".msg.bot").nth(n - 1);
  await bubble.waitFor();
  return bubble.innerText();
}

async function exportOf(page) {
  const session = await page.evaluate(() => Object.entries(sessionStorage).find(([k]) => k.startsWith("sti-chat:"))?.[1]);
  const id = JSON.parse(session).id;
  const response = await fetch(`${api}/api/session/${id}/export`);
  return response.json();
}

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
  assert.equal(await page.locator(".msg.me").first().innerText(), attack);
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
  await page.locator(".msg.system").first().waitFor({ timeout: 20000 });
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
      await route.fulfill({ status: 503, contentType: "application/json", headers: { "access-control-allow-origin": hostOrigin }, body: '{"error":{"code":"storage_unavailable","message":"x"},"requestId":"r"}' });
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
    await route.fulfill({ status: 409, contentType: "application/json", headers: { "access-control-allow-origin": hostOrigin }, body: '{"error":{"code":"conversation_full","message":"this conversation has reached its 200 messages; start a new one"},"requestId":"r"}' });
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
  await page.route("**/api/chat", (route) => route.fulfill({
    status: 429, contentType: "application/json",
    headers: { "retry-after": "7", "access-control-allow-origin": hostOrigin, "access-control-expose-headers": "retry-after, x-request-id" },
    body: '{"error":{"code":"rate_limited","message":"slow down"},"requestId":"r"}',
  }));
  await say(page, "hola");
  await page.getByRole("alert").filter({ hasText: /[67] s/ }).waitFor();
  assert.ok(await page.getByRole("button", { name: "Enviar" }).isDisabled());
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
  const { page, problems, expectedErrors } = await visit();
  await launcher(page).click();
  await botMessage(page, 1);
  await say(page, "me llamo Ana");
  await botMessage(page, 2);
  // axe adds styles of its own, which this page's CSP refuses: check the widget's record first.
  assert.deepEqual(await page.evaluate(() => window.__violations), [], "CSP violations before axe");
  assert.deepEqual(problems, [], "console errors before axe");
  expectedErrors.push(/Applying inline style violates/);
  await page.evaluate(axeSource);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  await page.evaluate(() => { window.__violations = []; });
  const bad = results.violations.filter((v) => ["serious", "critical"].includes(v.impact));
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(" ")}`), []);
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
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Descargar mis datos" }).click()]);
  const saved = JSON.parse(fs.readFileSync(await download.path(), "utf8"));
  assert.ok(saved.transcript.some((e) => e.text === "me llamo Ana"));
  const id = saved.session.sessionId;
  await page.getByRole("button", { name: "Borrar mis datos" }).click();
  await page.getByText("Tus datos fueron borrados.").waitFor();
  const gone = await fetch(`${api}/api/session/validate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sessionId: id }) });
  assert.deepEqual(await gone.json(), { valid: false });
});

// What every browser test of the widget stands on: `sti serve` on one loopback origin, a
// host page under the README's strict CSP on another, Debian's chromium driven by
// playwright-core, and a record of console errors and CSP violations that must stay empty.
import { after, afterEach, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const here = path.dirname(new URL(import.meta.url).pathname);
export const widgetDir = path.resolve(here, "..");
const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), ".cache", "sti-target");
const stiBin = process.env.STI_BIN || path.join(target, "debug", "sti");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
export const shots = path.join(target, "widget-screenshots");
const axeSource = fs.readFileSync(path.join(widgetDir, "node_modules", "axe-core", "axe.min.js"), "utf8");
export const BUSINESS_NUMBER = "5491100000000";
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** The API's origin, once `before` ran. */
export const server = { api: "", hostOrigin: "" };
let sti, hostServer, browser, dataDir;
const open = [];

function startSti() {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sti-widget-"));
  const env = {
    ...process.env,
    STI_ENV: "development",
    RUST_LOG: "warn",
    WHATSAPP_NUMBER: BUSINESS_NUMBER,
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

/** The host page: another origin, its own content (and a <dialog> of its own), the widget's
    script tag with the attributes asked for, under the strict CSP. */
function startHost() {
  const { api } = server;
  const hostServer = http.createServer((req, res) => {
    const url = new URL(req.url, "http://host");
    if (url.pathname !== "/") { res.writeHead(404).end(); return; }
    const q = url.searchParams;
    const locale = q.get("locale") || "es";
    const attrs = ["persist", "color", "position"].filter((k) => q.get(k)).map((k) => ` data-${k}="${q.get(k)}"`).join("");
    const csp = `default-src 'none'; script-src ${api}; style-src ${api}; connect-src ${api}; img-src ${api} blob:`;
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-security-policy": csp });
    res.end(`<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Host page</title></head>
<body><main><h1>Una tienda cualquiera</h1><p>Contenido de la página.</p>${"<p>Más contenido.</p>".repeat(Number(q.get("long") || 0))}
<dialog id="host-dialog"><p>Diálogo de la tienda</p><button type="button">Aceptar</button></dialog></main>
<script src="${api}/widget.js" defer data-api="${api}" data-locale="${locale}" data-title="Soporte"${attrs}></script></body></html>`);
  });
  return new Promise((resolve) => hostServer.listen(0, "127.0.0.1", () => resolve(hostServer)));
}

before(async () => {
  assert.ok(fs.existsSync(chromiumPath), `no browser at ${chromiumPath}: apt-get install -y chromium (./scripts/test does)`);
  assert.ok(fs.existsSync(stiBin), `no sti binary at ${stiBin}: cargo build --workspace (./scripts/test does)`);
  sti = await startSti();
  server.api = sti.base;
  hostServer = await startHost();
  server.hostOrigin = `http://127.0.0.1:${hostServer.address().port}`;
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

/** A fresh browser context at `url`, recording console errors, CSP violations and any
    browser dialog (the widget never opens one); WhatsApp links answer a stub, never the
    real site. `options` go to the context (javaScriptEnabled, viewport…). */
export async function openPage(url, options = {}) {
  const context = await browser.newContext({ viewport: DESKTOP, ...options });
  await context.route("https://wa.me/**", (route) => route.fulfill({ status: 200, contentType: "text/html", body: "<p>WhatsApp</p>" }));
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`), true);
  });
  const page = await context.newPage();
  const problems = [];
  const dialogs = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("dialog", (d) => { dialogs.push(d.message()); d.accept(); });
  await page.goto(url);
  const visit = { context, page, problems, dialogs, expectedErrors: [] };
  open.push(visit);
  return visit;
}

/** The host page with the widget's script tag carrying `attrs` (data-*), in a fresh context. */
export async function visit({ locale = "es", viewport = DESKTOP, storageState, colorScheme = "light", ...attrs } = {}) {
  const query = new URLSearchParams({ locale, ...Object.fromEntries(Object.entries(attrs).filter(([, v]) => v != null)) });
  return openPage(`${server.hostOrigin}/?${query}`, { viewport, colorScheme, ...(storageState ? { storageState } : {}) });
}

afterEach(async () => {
  while (open.length) {
    const { context, page, problems, dialogs, expectedErrors } = open.pop();
    const violations = (await page.evaluate(() => window.__violations).catch(() => [])) || [];
    await context.close();
    assert.deepEqual(violations, [], "CSP violations");
    const unexpected = problems.filter((p) => !expectedErrors.some((re) => re.test(p)));
    assert.deepEqual(unexpected, [], "console errors");
    assert.deepEqual(dialogs, [], "the widget opened a browser dialog");
  }
});

export const launcher = (page, name = /Abrir chat/) => page.getByRole("button", { name });
export const box = (page) => page.locator("#sti-input");

export async function say(page, text) {
  await box(page).fill(text);
  await box(page).press("Enter");
}

/** Waits for the n-th bot message and returns its text. */
export async function botMessage(page, n) {
  const bubble = page.locator(".msg.bot").nth(n - 1);
  await bubble.waitFor();
  return bubble.innerText();
}

/** Opens the chat and waits for the greeting. */
export async function opened(page) {
  await launcher(page).click();
  await botMessage(page, 1);
}

export const sessionOf = (page) =>
  page.evaluate(() => JSON.parse(Object.entries(sessionStorage).find(([k]) => k.startsWith("sti-chat:"))?.[1] || "null")?.id);

export async function exportOf(page) {
  const response = await fetch(`${server.api}/api/session/${await sessionOf(page)}/export`);
  return response.json();
}

/** A JSON error answer with the CORS headers the widget's origin needs. */
export const failWith = (status, code, extra = {}) => ({
  status, contentType: "application/json",
  headers: { "access-control-allow-origin": server.hostOrigin, "access-control-expose-headers": "retry-after, x-request-id", ...extra },
  body: JSON.stringify({ error: { code, message: `${code} (developer text)` }, requestId: "req-test" }),
});

/** The conversation to a ticket: name, problem, "No", technician, ticket. Each step waits
    for the bot's own words and presses only the last message's (live) buttons, so an image
    note arriving in between changes nothing; a stuck step says where the log stood. */
export async function toTicket(page) {
  const live = (name) => page.locator(".options.live").getByRole("button", { name, exact: true });
  const answered = async (words) => {
    try {
      await page.locator(".msg.bot").filter({ hasText: words }).last().waitFor({ timeout: 15000 });
    } catch (e) {
      throw new Error(`no bot message with ${words} — the log: ${await page.locator(".log").innerText().catch(() => "?")}`);
    }
  };
  await say(page, "me llamo Ana");
  await answered(/Un gusto, Ana/);
  await say(page, "la impresora no imprime");
  await answered(/probemos esto/);
  await live("No").click();
  await answered(/otros pasos/);
  await live("Hablar con un técnico").click();
  await answered(/te paso con un técnico/);
  await live("Sí, crear ticket").click();
  await page.getByRole("link", { name: /WhatsApp/ }).waitFor();
}

/** axe on the whole page: no serious or critical violation. */
export async function axeClean(visit, what) {
  const { page, problems, expectedErrors } = visit;
  // axe adds styles of its own, which this page's CSP refuses: check the widget's record first.
  assert.deepEqual(await page.evaluate(() => window.__violations), [], `CSP violations before axe (${what})`);
  assert.deepEqual(problems.filter((p) => !expectedErrors.some((re) => re.test(p))), [], `console errors before axe (${what})`);
  if (!expectedErrors.some((re) => re.source.includes("inline style"))) expectedErrors.push(/Applying inline style violates/);
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  await page.evaluate(() => { window.__violations = []; });
  const bad = results.violations.filter((v) => ["serious", "critical"].includes(v.impact));
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(" ")}`), [], what);
}

/** WCAG contrast of two CSS colours as the browser computed them ("rgb(…)"). */
export function contrastOf(a, b) {
  const lum = (c) => {
    const [r, g, b2] = c.match(/[\d.]+/g).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b2;
  };
  const [x, y] = [lum(a), lum(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

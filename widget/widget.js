/* STI Chat widget: one <script src=".../widget.js" defer data-api data-locale data-title
   data-color data-persist> on any page. Renders into an open shadow root, loads its
   stylesheet with a <link>, inserts every text as text (no innerHTML, no eval, no inline
   styles or handlers), so it works under a strict CSP. */
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || window.__stiChat) return;
  window.__stiChat = true;
  const d = script.dataset;
  const here = new URL(script.src, location.href);
  const API = (d.api || here.origin).replace(/\/+$/, "");
  const EN = (d.locale || document.documentElement.lang || "es").toLowerCase().startsWith("en");
  // The session id lives in this tab (sessionStorage). With data-persist="local" the
  // browser also keeps a resume token (never the id): on a shared computer the next
  // person sees nothing of the conversation unless they choose to continue it.
  const PERSIST = d.persist === "local";
  const KEY = "sti-chat:" + API;
  const MAX_CHARS = 2000;
  const MAX_BYTES = 5 * 1024 * 1024;
  const TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"];
  const BACKOFF = [1000, 2000, 4000];

  const T = EN
    ? {
        open: "Open chat", close: "Close chat", title: d.title || "Tech support", label: "Your message",
        send: "Send", image: "Attach an image", placeholder: "Type your message…", typing: "The assistant is typing…",
        retry: "Retry", failed: "Not sent.", offline: "You are offline. Messages will be sent when you are back.",
        kept: "There is an earlier conversation saved in this browser.", resume: "Continue it", fresh: "Start a new one",
        expired: "Your session had expired, so we started a new one.", full: "This conversation reached its message limit, so we started a new one.", wait: (s) => `Too many messages. You can write again in ${s} s.`,
        copy: "Copy ticket number", copied: "Copied", whatsapp: "Continue on WhatsApp", ticket: "Ticket",
        download: "Download my data", erase: "Delete my data", confirmErase: "Delete this conversation and everything we keep of it? This cannot be undone.",
        erased: "Your data was deleted.", degraded: "Limited mode: answers may be simpler for a while.",
        tooBig: "That image is over 5 MB.", notImage: "Only JPEG, PNG, WebP or GIF images.", uploading: "Uploading image",
        analysed: "Image received.", imageFailed: "The image could not be processed.", left: (n) => `${n} characters left`,
        unread: (n) => `${n} unread`, reference: "Reference", error: "Something went wrong. Please try again.",
      }
    : {
        open: "Abrir chat", close: "Cerrar chat", title: d.title || "Soporte técnico", label: "Tu mensaje",
        send: "Enviar", image: "Adjuntar imagen", placeholder: "Escribí tu mensaje…", typing: "El asistente está escribiendo…",
        retry: "Reintentar", failed: "No se envió.", offline: "Estás sin conexión. Enviaremos los mensajes cuando vuelvas.",
        kept: "Hay una conversación anterior guardada en este navegador.", resume: "Continuar", fresh: "Empezar de nuevo",
        expired: "Tu sesión había vencido, así que empezamos una nueva.", full: "Esta conversación llegó a su máximo de mensajes, así que empezamos una nueva.", wait: (s) => `Demasiados mensajes. Podés volver a escribir en ${s} s.`,
        copy: "Copiar número de ticket", copied: "Copiado", whatsapp: "Seguir por WhatsApp", ticket: "Ticket",
        download: "Descargar mis datos", erase: "Borrar mis datos", confirmErase: "¿Borrar esta conversación y todo lo que guardamos de ella? No se puede deshacer.",
        erased: "Tus datos fueron borrados.", degraded: "Modo limitado: por un rato las respuestas pueden ser más simples.",
        tooBig: "La imagen supera los 5 MB.", notImage: "Solo imágenes JPEG, PNG, WebP o GIF.", uploading: "Subiendo imagen",
        analysed: "Imagen recibida.", imageFailed: "No pudimos procesar la imagen.", left: (n) => `Quedan ${n} caracteres`,
        unread: (n) => `${n} sin leer`, reference: "Referencia", error: "Algo salió mal. Probá de nuevo.",
      };
  const FRIENDLY = EN
    ? { rate_limited: "Too many requests; please wait a moment.", message_too_long: "The message is too long.", upload_limit_reached: "This conversation already has its 10 images.", image_too_large: "That image is over 5 MB.", unsupported_image_type: "Only JPEG, PNG, WebP or GIF images.", storage_unavailable: "We are having trouble right now; please try again soon." }
    : { rate_limited: "Demasiados pedidos; esperá un momento.", message_too_long: "El mensaje es demasiado largo.", upload_limit_reached: "Esta conversación ya tiene sus 10 imágenes.", image_too_large: "La imagen supera los 5 MB.", unsupported_image_type: "Solo imágenes JPEG, PNG, WebP o GIF.", storage_unavailable: "Tenemos problemas en este momento; probá de nuevo en un rato." };

  // ---------------------------------------------------------------- DOM helpers
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k in node && typeof v !== "string") node[k] = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c != null) node.append(c);
    return node;
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const NS = "http://www.w3.org/2000/svg";
  /** An icon drawn with one path (no icon font, no emoji: every system shows it). */
  const icon = (d) => {
    const svg = document.createElementNS(NS, "svg");
    const path = document.createElementNS(NS, "path");
    for (const [k, v] of [["viewBox", "0 0 24 24"], ["aria-hidden", "true"], ["focusable", "false"]]) svg.setAttribute(k, v);
    path.setAttribute("d", d);
    path.setAttribute("fill-rule", "evenodd");
    svg.append(path);
    return svg;
  };
  const CHAT = "M6 3h12a3 3 0 0 1 3 3v9a3 3 0 0 1-3 3h-8l-5 4v-4H6a3 3 0 0 1-3-3V6a3 3 0 0 1 3-3z";
  const PICTURE = "M4 5h16a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm1 2v9l4-4 3 3 4-5 3 4V7H5zm4 1a1.5 1.5 0 1 1 0 3 1.5 1.5 0 0 1 0-3z";
  const CROSS = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z";

  const host = el("div", { "data-sti-chat": "" });
  const root = host.attachShadow({ mode: "open" });
  if (/^#[0-9a-f]{3,8}$/i.test(d.color || "")) host.style.setProperty("--sti-accent", d.color);
  root.append(el("link", { rel: "stylesheet", href: new URL("widget.css", here).href }));

  const badge = el("span", { class: "badge", hidden: true, "aria-hidden": "true" });
  const unreadText = el("span", { class: "sr" });
  const launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "sti-panel", onclick: () => toggle() },
    el("span", { class: "sr", text: T.open }), unreadText, icon(CHAT), badge);
  const titleId = "sti-title";
  const log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-labelledby": titleId, tabindex: "0" });
  const typing = el("div", { class: "typing", role: "status" });
  const alertBox = el("div", { class: "alert", role: "alert" });
  const banner = el("div", { class: "banner", role: "status", hidden: true, text: T.offline });
  const notice = el("p", { class: "notice", hidden: true, text: T.degraded });
  const counter = el("span", { class: "counter", id: "sti-counter", "aria-live": "polite" });
  const input = el("textarea", { id: "sti-input", rows: 1, maxLength: MAX_CHARS, placeholder: T.placeholder, "aria-describedby": "sti-counter", onkeydown: onKey, oninput: onInput, onpaste: onPaste });
  const picker = el("input", { type: "file", accept: TYPES.join(","), class: "sr", tabindex: "-1", "aria-hidden": "true", onchange: () => { if (picker.files[0]) sendImage(picker.files[0]); picker.value = ""; } });
  const imageButton = el("button", { type: "button", class: "tool", "aria-label": T.image, title: T.image, onclick: () => picker.click() }, icon(PICTURE));
  const sendButton = el("button", { type: "submit", class: "send", text: T.send });
  const form = el("form", { class: "compose", onsubmit: (e) => { e.preventDefault(); submit(); } },
    el("label", { for: "sti-input", class: "sr", text: T.label }), imageButton, input, sendButton, picker);
  const closeButton = el("button", { type: "button", class: "tool", "aria-label": T.close, onclick: () => toggle(false) }, icon(CROSS));
  const menu = el("div", { class: "rights" },
    el("button", { type: "button", class: "link", text: T.download, onclick: download }),
    el("button", { type: "button", class: "link", text: T.erase, onclick: erase }));
  const panel = el("div", { class: "panel", id: "sti-panel", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId, hidden: true, onkeydown: trapKeys, ondragover: (e) => e.preventDefault(), ondrop: onDrop },
    el("header", {}, el("h2", { id: titleId, text: T.title }), closeButton),
    banner, notice, log, typing, alertBox, form, el("div", { class: "foot" }, counter, menu));
  root.append(launcher, panel);

  // ---------------------------------------------------------------- state
  let session = null;
  let started = false;
  let unread = 0;
  let blockedUntil = 0;
  const outbox = [];

  const read = (storage) => { try { return JSON.parse(storage.getItem(KEY) || "null"); } catch { return null; } };
  const save = () => {
    if (session) sessionStorage.setItem(KEY, JSON.stringify({ id: session }));
    else { sessionStorage.removeItem(KEY); localStorage.removeItem(KEY); }
  };
  const load = () => read(sessionStorage)?.id || null;
  /** A resume token still in date, when the page asked to persist. */
  const resumable = () => {
    const kept = PERSIST ? read(localStorage) : null;
    return kept?.token && Date.parse(kept.expiresAt) > Date.now() ? kept.token : null;
  };
  async function keepResumeToken() {
    if (!PERSIST || !session) return;
    try {
      const r = await api("POST", "/api/session/resume-token", { sessionId: session });
      localStorage.setItem(KEY, JSON.stringify({ token: r.resumeToken, expiresAt: r.expiresAt }));
    } catch { /* the conversation goes on in this tab; only a later return needs it */ }
  }

  function toggle(open = panel.hidden) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.firstChild.textContent = open ? T.close : T.open;
    if (open) {
      unread = 0;
      showUnread();
      input.focus();
      if (!started) { started = true; start(); }
    } else {
      launcher.focus();
    }
  }

  function trapKeys(e) {
    if (e.key !== "Tab") return;
    const items = [...panel.querySelectorAll("button:not([disabled]), textarea, a[href], [tabindex='0']")].filter((n) => !n.closest("[hidden]"));
    if (!items.length) return;
    const [first, last] = [items[0], items[items.length - 1]];
    const active = root.activeElement;
    if (e.shiftKey && active === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && active === last) { e.preventDefault(); first.focus(); }
  }

  function showUnread() {
    badge.hidden = unread === 0;
    badge.textContent = unread > 9 ? "9+" : String(unread);
    unreadText.textContent = unread ? ", " + T.unread(unread) : "";
  }

  // ---------------------------------------------------------------- rendering
  function scroll() { log.scrollTop = log.scrollHeight; }

  /** A bot reply: paragraphs, and lines "1. …" as a numbered list. */
  function botText(text) {
    const box = el("div", { class: "text" });
    let list = null;
    for (const line of String(text).split("\n")) {
      const step = /^\s*\d+[.)]\s+(.*)$/.exec(line);
      if (step) {
        list = list || box.appendChild(el("ol"));
        list.append(el("li", { text: step[1] }));
      } else if (line.trim()) {
        list = null;
        box.append(el("p", { text: line }));
      }
    }
    return box;
  }

  function addBot(reply) {
    const bubble = el("div", { class: "msg bot" }, botText(reply.reply));
    if (reply.options && reply.options.length) {
      const choices = el("div", { class: "options" });
      for (const o of reply.options) {
        choices.append(el("button", { type: "button", class: "option", text: o.text, onclick: () => {
          for (const b of choices.querySelectorAll("button")) b.disabled = true;
          input.focus(); // the pressed button is disabled now: keep the keyboard in the dialog
          send({ action: "button", value: o.value }, o.text);
        } }));
      }
      bubble.append(choices);
    }
    if (reply.ticket) bubble.append(ticketCard(reply.ticket));
    log.append(bubble);
    notice.hidden = !reply.degraded;
    if (panel.hidden) { unread++; showUnread(); }
    scroll();
  }

  function ticketCard(t) {
    const copy = el("button", { type: "button", class: "option", text: T.copy, onclick: async () => {
      try { await navigator.clipboard.writeText(t.ticketId); copy.textContent = T.copied; } catch { copy.textContent = t.ticketId; }
    } });
    return el("div", { class: "ticket" },
      el("p", {}, el("span", { text: T.ticket + " " }), el("strong", { text: t.ticketId })),
      el("a", { class: "wa", href: safeUrl(t.whatsappUrl), target: "_blank", rel: "noopener noreferrer", text: T.whatsapp }),
      copy);
  }

  const safeUrl = (u) => (/^https:\/\//.test(u || "") ? u : "#");

  function addMine(text) {
    const bubble = el("div", { class: "msg me" }, el("p", { text }));
    log.append(bubble);
    scroll();
    return bubble;
  }

  function say(text, kind = "info") {
    log.append(el("div", { class: "msg system " + kind }, el("p", { text })));
    scroll();
  }

  function showError(code, requestId, message) {
    alertBox.textContent = "";
    alertBox.append(el("span", { text: FRIENDLY[code] || message || T.error }));
    if (requestId) alertBox.append(el("small", { text: ` ${T.reference}: ${requestId}` }));
    setTimeout(() => { if (alertBox.textContent.includes(requestId || "")) alertBox.textContent = ""; }, 8000);
  }

  // ---------------------------------------------------------------- network
  class HttpError extends Error {
    constructor(status, body, headers) {
      super(body?.error?.message || "HTTP " + status);
      Object.assign(this, { status, code: body?.error?.code, requestId: body?.requestId || headers.get("x-request-id"), retryAfter: Number(headers.get("retry-after")) || 0 });
    }
  }

  async function api(method, path, body, headers = {}) {
    const response = await fetch(API + path, {
      method, headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit",
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new HttpError(response.status, data, response.headers);
    return data;
  }

  const transient = (e) => !(e instanceof HttpError) || e.status >= 500;

  async function start() {
    const saved = load();
    if (saved) {
      try {
        const v = await api("POST", "/api/session/validate", { sessionId: saved });
        if (v.valid) { session = saved; await restore(); return; }
      } catch (e) { if (transient(e)) { showError(e.code, e.requestId, T.error); started = false; return; } }
      sessionStorage.removeItem(KEY);
    }
    const token = resumable();
    if (token) { offerResume(token); return; }
    localStorage.removeItem(KEY);
    await greet();
  }

  /** A conversation kept in this browser: shown only if the visitor chooses it. */
  function offerResume(token) {
    const choices = el("div", { class: "options" });
    const choose = async (resume) => {
      for (const b of choices.querySelectorAll("button")) b.disabled = true;
      ask.remove();
      if (resume) {
        try {
          const r = await api("POST", "/api/session/resume", { resumeToken: token });
          session = r.sessionId;
          save();
          localStorage.setItem(KEY, JSON.stringify({ token: r.resumeToken, expiresAt: r.expiresAt }));
          await restore();
          return;
        } catch (e) { if (transient(e)) { showError(e.code, e.requestId, T.error); log.append(ask); choices.querySelectorAll("button").forEach((b) => (b.disabled = false)); return; } }
        localStorage.removeItem(KEY);
        await greet(T.expired);
        return;
      }
      localStorage.removeItem(KEY);
      await greet();
    };
    choices.append(
      el("button", { type: "button", class: "option", text: T.resume, onclick: () => choose(true) }),
      el("button", { type: "button", class: "option", text: T.fresh, onclick: () => choose(false) }));
    const ask = el("div", { class: "msg system info" }, el("p", { text: T.kept }), choices);
    log.append(ask);
    scroll();
  }

  async function greet(notice) {
    typing.textContent = T.typing;
    try {
      const g = await api("POST", "/api/greeting", { locale: EN ? "en" : "es" });
      session = g.sessionId;
      save();
      if (notice) say(notice);
      addBot(g);
      keepResumeToken();
    } catch (e) {
      showError(e.code, e.requestId, T.error);
      started = false;
    } finally { typing.textContent = ""; }
  }

  async function restore() {
    const data = await api("GET", `/api/session/${session}/export`);
    for (const entry of data.transcript || []) {
      if (entry.from === "visitor") addMine(entry.text);
      else log.append(el("div", { class: "msg bot" }, botText(entry.text)));
    }
    scroll();
  }

  function onKey(e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  }

  function onInput() {
    const left = MAX_CHARS - input.value.length;
    counter.textContent = left <= 200 ? T.left(left) : "";
    input.style.setProperty("height", "auto");
    input.style.setProperty("height", Math.min(input.scrollHeight, 140) + "px");
  }

  function submit() {
    const text = input.value.trim();
    if (!text || Date.now() < blockedUntil) return;
    input.value = "";
    onInput();
    send({ message: text }, text);
  }

  /** Sends one visitor turn with its own messageId, retried with the same id. */
  function send(turn, shown) {
    const item = { turn: { ...turn, messageId: crypto.randomUUID() }, bubble: addMine(shown) };
    outbox.push(item);
    flush();
  }

  let flushing = false;
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      while (outbox.length) {
        if (!navigator.onLine) { banner.hidden = false; return; }
        const item = outbox[0];
        const ok = await deliver(item);
        outbox.shift();
        if (!ok) failed(item);
      }
    } finally { flushing = false; }
  }

  async function deliver(item) {
    typing.textContent = T.typing;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const reply = await api("POST", "/api/chat", { sessionId: session, ...item.turn });
          item.bubble.classList.remove("failed");
          addBot(reply);
          return true;
        } catch (e) {
          if (e instanceof HttpError && e.status === 404 && e.code === "session_not_found") {
            await greet(T.expired);
            return true;
          }
          if (e instanceof HttpError && e.status === 409 && e.code === "conversation_full") {
            await greet(T.full);
            return true;
          }
          if (e instanceof HttpError && e.status === 429) { countdown(e.retryAfter || 5); return true; }
          if (!transient(e)) { showError(e.code, e.requestId, e.message); return true; }
          if (!navigator.onLine) { banner.hidden = false; await online(); attempt = -1; continue; }
          if (attempt >= BACKOFF.length) return false;
          await sleep(BACKOFF[attempt]);
        }
      }
    } finally { typing.textContent = ""; }
  }

  const online = () => new Promise((resolve) => addEventListener("online", resolve, { once: true }));

  function failed(item) {
    item.bubble.classList.add("failed");
    const retry = el("button", { type: "button", class: "option", text: T.retry, onclick: () => {
      note.remove();
      item.bubble.classList.remove("failed");
      outbox.push(item);
      flush();
    } });
    const note = el("div", { class: "fail" }, el("span", { text: T.failed + " " }), retry);
    item.bubble.after(note);
  }

  function countdown(seconds) {
    blockedUntil = Date.now() + seconds * 1000;
    sendButton.disabled = true;
    const tick = () => {
      const left = Math.ceil((blockedUntil - Date.now()) / 1000);
      if (left <= 0) { alertBox.textContent = ""; sendButton.disabled = false; return; }
      alertBox.textContent = T.wait(left);
      setTimeout(tick, 1000);
    };
    tick();
  }

  // Escape closes from anywhere, even when focus fell out of the panel (a button that
  // disabled itself).
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !panel.hidden) { e.preventDefault(); toggle(false); } });
  addEventListener("offline", () => { banner.hidden = false; });
  addEventListener("online", () => { banner.hidden = true; flush(); });

  // ---------------------------------------------------------------- images
  function onPaste(e) {
    const file = [...(e.clipboardData?.files || [])].find((f) => f.type.startsWith("image/"));
    if (file) { e.preventDefault(); sendImage(file); }
  }

  function onDrop(e) {
    e.preventDefault();
    const file = e.dataTransfer?.files?.[0];
    if (file) sendImage(file);
  }

  async function sendImage(file) {
    if (!TYPES.includes(file.type)) { showError(null, null, T.notImage); return; }
    if (file.size > MAX_BYTES) { showError(null, null, T.tooBig); return; }
    if (!session) return;
    const preview = URL.createObjectURL(file);
    const progress = el("progress", { max: 100, value: 0, "aria-label": T.uploading });
    const bubble = el("div", { class: "msg me image" }, el("img", { src: preview, alt: file.name }), progress);
    log.append(bubble);
    scroll();
    try {
      const id = await upload(file, (p) => { progress.value = p; });
      progress.value = 100;
      const view = await analysed(id);
      progress.remove();
      if (view.status === "done") say(view.hintMessage || T.analysed);
      else say(T.imageFailed, "error");
    } catch (e) {
      progress.remove();
      bubble.classList.add("failed");
      showError(e.code, e.requestId, e.message);
    }
  }

  async function upload(file, onProgress) {
    const headers = { "x-session-id": session };
    let offer = null;
    try {
      offer = await api("POST", "/api/upload-url", { contentType: file.type, size: file.size }, headers);
    } catch (e) {
      if (!(e instanceof HttpError) || ![404, 405].includes(e.status) || e.code === "session_not_found") throw e;
    }
    if (offer) {
      await put(offer, file, onProgress);
      return offer.uploadId;
    }
    const form = new FormData();
    form.append("image", file);
    return (await send_xhr("POST", API + "/api/upload-image", headers, form, onProgress)).uploadId;
  }

  const put = (offer, file, onProgress) => send_xhr(offer.method || "PUT", offer.url, offer.headers || {}, file, onProgress);

  function send_xhr(method, url, headers, body, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
      xhr.onload = () => {
        let data = null;
        try { data = JSON.parse(xhr.responseText || "null"); } catch { /* S3 answers XML or nothing */ }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data || {});
        else reject(new HttpError(xhr.status, data, { get: (h) => xhr.getResponseHeader(h) }));
      };
      xhr.onerror = () => reject(new Error(T.error));
      xhr.send(body);
    });
  }

  async function analysed(id) {
    for (let wait = 300; ; wait = Math.min(wait * 2, 4000)) {
      const view = await api("GET", `/api/upload/${id}`, undefined, { "x-session-id": session });
      if (view.status === "done" || view.status === "failed") return view;
      await sleep(wait);
    }
  }

  // ---------------------------------------------------------------- data rights
  async function download() {
    if (!session) return;
    try {
      const data = await api("GET", `/api/session/${session}/export`);
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
      const a = el("a", { href: url, download: `sti-chat-${session}.json`, hidden: true });
      root.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) { showError(e.code, e.requestId, e.message); }
  }

  async function erase() {
    if (!session || !confirm(T.confirmErase)) return;
    try {
      await api("DELETE", `/api/session/${session}`);
      session = null;
      save();
      log.textContent = "";
      say(T.erased);
      started = false;
    } catch (e) { showError(e.code, e.requestId, e.message); }
  }

  // Phones: the panel follows the visual viewport, so the keyboard never covers the input.
  if (window.visualViewport) {
    const fit = () => host.style.setProperty("--sti-vh", window.visualViewport.height + "px");
    visualViewport.addEventListener("resize", fit);
    fit();
  }

  document.body.append(host);
})();

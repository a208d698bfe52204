/* STI Chat widget: one <script src=".../widget.js" defer data-api data-locale data-title
   data-color data-position data-persist> on any page. Renders into an open shadow root, loads
   its stylesheet with a <link>, inserts every text as text (no innerHTML, no eval, no inline
   styles or handlers), so it works under a strict CSP. The host page drives it through
   window.STIChat: open(), close(), toggle(), on(event, fn) for open, close, message, ticket
   and unread. */
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || window.STIChat) return;
  const d = script.dataset;
  const here = new URL(script.src, location.href);
  const API = (d.api || here.origin).replace(/\/+$/, "");
  const EN = (d.locale || document.documentElement.lang || "es").toLowerCase().startsWith("en");
  const LANG = EN ? "en" : "es";
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
        retry: "Retry", failed: "Not sent", offline: "You are offline. Messages will be sent when you are back.",
        kept: "There is an earlier conversation saved in this browser.", resume: "Continue it", fresh: "Start a new one",
        expired: "Your session had expired, so we started a new one.", full: "This conversation reached its message limit, so we started a new one.", wait: (s) => `Too many messages. Yours will be sent in ${s} s.`,
        copy: "Copy ticket number", copied: "Copied", whatsapp: "Continue on WhatsApp", ticket: "Ticket", solvedTicket: "Resolved by a technician",
        transcript: "Download chat", download: "My data (JSON)", erase: "Delete my data", confirmErase: "Delete this conversation and everything we keep of it? This cannot be undone.",
        yesErase: "Delete", cancel: "Cancel", erased: "Your data was deleted.", degraded: "Limited mode: answers may be simpler for a while.",
        tooBig: "That image is over 5 MB.", notImage: "Only JPEG, PNG, WebP or GIF images.", uploading: "Uploading image",
        analysed: "📷 Got your image; I'll add it to the ticket if needed.", imageFailed: "The image could not be processed. Try another one.", imageSent: "📷 Image sent",
        uploadFailed: "The image could not be uploaded", left: (n) => `${n} characters left`, over: (n) => `${n} characters too many`,
        tooLong: "The message is too long: shorten it to 2,000 characters.", unread: (n) => `${n} unread`, reference: "Reference",
        error: "Something went wrong. Please try again.", noConnection: "We could not connect.", sent: "Sent", sending: "Sending", pending: "Pending",
        rateQ: "Did this help you?", good: "Yes, it helped", bad: "No, it didn't", comment: "Anything to add? (optional)",
        thanks: "Thanks for your opinion!", you: "You", bot: "Assistant", canceled: "Upload canceled",
      }
    : {
        open: "Abrir chat", close: "Cerrar chat", title: d.title || "Soporte técnico", label: "Tu mensaje",
        send: "Enviar", image: "Adjuntar imagen", placeholder: "Escribí tu mensaje…", typing: "El asistente está escribiendo…",
        retry: "Reintentar", failed: "No se envió", offline: "Estás sin conexión. Enviaremos los mensajes cuando vuelvas.",
        kept: "Hay una conversación anterior guardada en este navegador.", resume: "Continuar", fresh: "Empezar de nuevo",
        expired: "Tu sesión había vencido, así que empezamos una nueva.", full: "Esta conversación llegó a su máximo de mensajes, así que empezamos una nueva.", wait: (s) => `Demasiados mensajes. El tuyo se envía en ${s} s.`,
        copy: "Copiar número de ticket", copied: "Copiado", whatsapp: "Seguir por WhatsApp", ticket: "Ticket", solvedTicket: "Resuelto por un técnico",
        transcript: "Descargar chat", download: "Mis datos (JSON)", erase: "Borrar mis datos", confirmErase: "¿Borrar esta conversación y todo lo que guardamos de ella? No se puede deshacer.",
        yesErase: "Borrar", cancel: "Cancelar", erased: "Tus datos fueron borrados.", degraded: "Modo limitado: por un rato las respuestas pueden ser más simples.",
        tooBig: "La imagen supera los 5 MB.", notImage: "Solo imágenes JPEG, PNG, WebP o GIF.", uploading: "Subiendo imagen",
        analysed: "📷 Recibí tu imagen; la sumo al ticket si hace falta.", imageFailed: "No pudimos procesar la imagen. Probá con otra.", imageSent: "📷 Imagen enviada",
        uploadFailed: "No se pudo subir la imagen", left: (n) => `Quedan ${n} caracteres`, over: (n) => `Sobran ${n} caracteres`,
        tooLong: "El mensaje es demasiado largo: acortalo a 2000 caracteres.", unread: (n) => `${n} sin leer`, reference: "Referencia",
        error: "Algo salió mal. Probá de nuevo.", noConnection: "No pudimos conectarnos.", sent: "Enviado", sending: "Enviando", pending: "Pendiente",
        rateQ: "¿Te sirvió esta ayuda?", good: "Sí, me sirvió", bad: "No me sirvió", comment: "¿Querés agregar algo? (opcional)",
        thanks: "¡Gracias por tu opinión!", you: "Vos", bot: "Asistente", canceled: "Subida cancelada",
      };
  // What a visitor reads for an error code: never the server's developer message.
  const FRIENDLY = EN
    ? { rate_limited: "Too many requests; please wait a moment.", message_too_long: T.tooLong, upload_limit_reached: "This conversation already has its 10 images.", image_too_large: T.tooBig, unsupported_image_type: T.notImage, storage_unavailable: "We are having trouble right now; please try again soon.", session_busy: "We are having trouble right now; please try again soon." }
    : { rate_limited: "Demasiados pedidos; esperá un momento.", message_too_long: T.tooLong, upload_limit_reached: "Esta conversación ya tiene sus 10 imágenes.", image_too_large: T.tooBig, unsupported_image_type: T.notImage, storage_unavailable: "Tenemos problemas en este momento; probá de nuevo en un rato.", session_busy: "Tenemos problemas en este momento; probá de nuevo en un rato." };
  const friendly = (e) => (e && FRIENDLY[e.code]) || T.error;

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
  const THUMB = "M2 10h4v11H2zm6 11h9.5a2 2 0 0 0 1.9-1.4l2.4-7.2A2 2 0 0 0 19.9 10H14l1-4.6A2 2 0 0 0 11.4 4L8 10z";
  const CROSS = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z";

  // ---------------------------------------------------------------- colours
  /** WCAG relative luminance of #rgb, #rgba, #rrggbb or #rrggbbaa. */
  const luminance = (hex) => {
    let h = hex.slice(1);
    h = h.length < 6 ? [...h.slice(0, 3)].map((c) => c + c).join("") : h.slice(0, 6);
    const [r, g, b] = [0, 2, 4].map((i) => {
      const c = parseInt(h.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

  const host = el("div", { "data-sti-chat": "", lang: LANG });
  // Nothing shows until the stylesheet is in: no unstyled button in the page's flow.
  host.style.setProperty("display", "none", "important");
  const root = host.attachShadow({ mode: "open" });
  if (/^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(d.color || "")) {
    const l = luminance(d.color);
    host.style.setProperty("--sti-accent", d.color);
    // Text on the brand colour: black or white, whichever reads better.
    host.style.setProperty("--sti-on-accent", contrast(l, 1) >= contrast(l, 0) ? "#fff" : "#000");
    // The brand colour as text or focus ring on white only where it reads (4.5:1).
    if (contrast(l, 1) < 4.5) host.style.setProperty("--sti-ink", "#1b1f24");
  }
  root.append(el("link", { rel: "stylesheet", href: new URL("widget.css", here).href, onload: () => host.style.removeProperty("display") }));

  const side = d.position === "left" ? " left" : "";
  const badge = el("span", { class: "badge", hidden: true, "aria-hidden": "true" });
  const unreadText = el("span", { class: "sr" });
  const launcher = el("button", { class: "launcher" + side, type: "button", "aria-expanded": "false", "aria-controls": "sti-panel", onclick: () => toggle() },
    el("span", { class: "sr", text: T.open }), unreadText, icon(CHAT), badge);
  const titleId = "sti-title";
  const heading = el("h2", { id: titleId, text: T.title, tabindex: "-1" });
  const log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-labelledby": titleId, tabindex: "0" });
  const typing = el("div", { class: "typing", role: "status" });
  const alertBox = el("div", { class: "alert", role: "alert" });
  const banner = el("div", { class: "banner", role: "status", hidden: true, text: T.offline });
  const notice = el("p", { class: "notice", hidden: true, text: T.degraded });
  const counter = el("span", { class: "counter", id: "sti-counter", "aria-live": "polite" });
  const input = el("textarea", { id: "sti-input", rows: 1, dir: "auto", placeholder: T.placeholder, "aria-describedby": "sti-counter", onkeydown: onKey, oninput: onInput, onpaste: onPaste });
  const picker = el("input", { type: "file", accept: TYPES.join(","), class: "sr", tabindex: "-1", "aria-hidden": "true", onchange: () => { if (picker.files[0]) sendImage(picker.files[0]); picker.value = ""; } });
  const imageButton = el("button", { type: "button", class: "tool", "aria-label": T.image, title: T.image, onclick: () => picker.click() }, icon(PICTURE));
  const sendButton = el("button", { type: "submit", class: "send", text: T.send });
  const form = el("form", { class: "compose", onsubmit: (e) => { e.preventDefault(); submit(); } },
    el("label", { for: "sti-input", class: "sr", text: T.label }), imageButton, input, sendButton, picker);
  const closeButton = el("button", { type: "button", class: "tool", "aria-label": T.close, onclick: () => toggle(false) }, icon(CROSS));
  const menu = el("div", { class: "rights" },
    el("button", { type: "button", class: "link", text: T.transcript, onclick: downloadTranscript }),
    el("button", { type: "button", class: "link", text: T.download, onclick: download }),
    el("button", { type: "button", class: "link", text: T.erase, onclick: askErase }));
  const panel = el("div", { class: "panel" + side, id: "sti-panel", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId, hidden: true, onkeydown: trapKeys, ondragover: (e) => e.preventDefault(), ondrop: onDrop },
    el("div", { class: "head" }, heading, closeButton),
    banner, notice, log, typing, alertBox, form, el("div", { class: "foot" }, counter, menu));
  root.append(launcher, panel);

  // ---------------------------------------------------------------- state
  let session = null;
  let started = false;
  let unread = 0;
  let blockedUntil = 0;
  const outbox = [];
  const listeners = {};
  let pageTitle = null;

  function off(name, fn) { listeners[name] = (listeners[name] || []).filter((f) => f !== fn); }

  function emit(name, detail) {
    for (const fn of listeners[name] || []) {
      try { fn(detail); } catch (e) { setTimeout(() => { throw e; }); }
    }
  }

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

  const phone = () => matchMedia("(pointer: coarse), (max-width: 480px)").matches;

  function toggle(open = panel.hidden) {
    if (open === !panel.hidden) return;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.classList.toggle("open", open);
    launcher.firstChild.textContent = open ? T.close : T.open;
    if (open) {
      unread = 0;
      showUnread();
      // On a phone the keyboard would cover the privacy notice: it opens when the visitor taps the box.
      (phone() ? heading : input).focus();
      scroll();
      if (!started) start();
    } else {
      launcher.focus();
    }
    emit(open ? "open" : "close");
  }

  function trapKeys(e) {
    if (e.key !== "Tab") return;
    const items = [...panel.querySelectorAll("button:not([disabled]), textarea:not([disabled]), a[href], [tabindex='0']")].filter((n) => !n.closest("[hidden]"));
    if (!items.length) return;
    const [first, last] = [items[0], items[items.length - 1]];
    const active = root.activeElement;
    if (e.shiftKey && (active === first || active === heading)) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && active === last) { e.preventDefault(); first.focus(); }
  }

  function showUnread() {
    badge.hidden = unread === 0;
    badge.textContent = unread > 9 ? "9+" : String(unread);
    unreadText.textContent = unread ? ", " + T.unread(unread) : "";
    // The tab tells of unread answers too; the page's own title comes back once read.
    if (unread) { pageTitle ??= document.title; document.title = `(${unread}) ${pageTitle}`; }
    else if (pageTitle !== null) { document.title = pageTitle; pageTitle = null; }
    emit("unread", unread);
  }

  // ---------------------------------------------------------------- rendering
  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 60;
  function scroll() { log.scrollTop = log.scrollHeight; }
  const place = (node, before) => { if (before?.isConnected) log.insertBefore(node, before); else log.append(node); scroll(); return node; };
  const clockLocale = navigator.languages?.find((l) => l.toLowerCase().startsWith(LANG)) || LANG;
  const clock = new Intl.DateTimeFormat(clockLocale, { hour: "2-digit", minute: "2-digit" });
  const stamp = (at) => { const t = at ? new Date(at) : new Date(); return el("time", { datetime: t.toISOString(), text: clock.format(t) }); };
  const meta = (at, ...rest) => el("div", { class: "meta" }, stamp(at), ...rest);

  /** A bot reply: paragraphs, and lines "1. …" as a numbered list. */
  function botText(text) {
    const box = el("div", { class: "text" });
    let list = null;
    for (const line of String(text).split("\n")) {
      const step = /^\s*\d+[.)]\s+(.*)$/.exec(line);
      if (step) {
        list = list || box.appendChild(el("ol"));
        list.append(el("li", { text: step[1], dir: "auto" }));
      } else if (line.trim()) {
        list = null;
        box.append(el("p", { text: line, dir: "auto" }));
      }
    }
    return box;
  }

  /** Only the last message's quick replies act: older ones are disabled. */
  function retireOptions() {
    for (const b of log.querySelectorAll(".options.live button")) b.disabled = true;
    for (const o of log.querySelectorAll(".options.live")) o.classList.remove("live");
  }

  function choices(options) {
    retireOptions();
    const box = el("div", { class: "options live" });
    for (const o of options) {
      box.append(el("button", { type: "button", class: "option", text: o.text, onclick: () => {
        input.focus(); // the pressed button is disabled now: keep the keyboard in the dialog
        send({ action: "button", value: o.value }, o.text);
      } }));
    }
    return box;
  }

  function addBot(text, { options, ticket, at, before, live = true } = {}) {
    const bubble = el("div", { class: "msg bot" }, el("span", { class: "sr", text: T.bot + ": " }), botText(text));
    if (ticket) bubble.append(ticketCard(ticket));
    if (options?.length) bubble.append(choices(options));
    bubble.append(meta(at));
    place(bubble, before);
    if (live) {
      emit("message", { from: "bot", text });
      if (panel.hidden) { unread++; showUnread(); }
    }
    return bubble;
  }

  function ticketCard(t) {
    const copy = el("button", { type: "button", class: "option", text: T.copy, onclick: async () => {
      try { await navigator.clipboard.writeText(t.ticketId); copy.textContent = T.copied; } catch { copy.textContent = t.ticketId; }
      setTimeout(() => { copy.textContent = T.copy; }, 2500);
    } });
    return el("div", { class: "ticket" },
      el("p", {}, el("span", { text: T.ticket + " " }), el("strong", { text: t.ticketId })),
      t.status === "resolved" ? el("p", { class: "done", text: "✓ " + T.solvedTicket }) : null,
      el("a", { class: "wa", href: safeUrl(t.whatsappUrl), target: "_blank", rel: "noopener noreferrer", text: T.whatsapp }),
      copy);
  }

  const safeUrl = (u) => (/^https:\/\//.test(u || "") ? u : "#");

  function addMine(text, at, before) {
    const mark = el("span", { class: "mark" });
    const bubble = el("div", { class: "msg me" }, el("span", { class: "sr", text: T.you + ": " }), el("p", { text, dir: "auto" }), meta(at, mark));
    bubble.mark = mark;
    return place(bubble, before);
  }

  /** Where a visitor's message stands: sending, pending, delivered or failed. */
  function mark(bubble, state) {
    bubble.dataset.state = state;
    bubble.mark.textContent = state === "delivered" ? "✓" : state === "failed" ? "" : state === "pending" ? T.pending : "…";
    bubble.mark.title = { delivered: T.sent, pending: T.pending, sending: T.sending }[state] || "";
    bubble.mark.setAttribute("aria-label", bubble.mark.title);
  }

  function say(text, kind = "info", before) {
    return place(el("div", { class: "msg system " + kind }, el("p", { text })), before);
  }

  function showError(e, text) {
    alertBox.textContent = "";
    alertBox.append(el("span", { text: text || friendly(e) }));
    if (e?.requestId) alertBox.append(el("small", { text: ` ${T.reference}: ${e.requestId}` }));
    const shown = alertBox.textContent;
    setTimeout(() => { if (alertBox.textContent === shown) alertBox.textContent = ""; }, 8000);
  }

  /** A failure with a way out: a retry button, also pressed for the visitor when the network comes back. */
  function retryLater(text, again, before) {
    const retry = () => { removeEventListener("online", retry); bubble.remove(); again(); };
    const bubble = say(text + " ", "error", before);
    bubble.firstChild.append(el("button", { type: "button", class: "option", text: T.retry, onclick: retry }));
    addEventListener("online", retry);
    return bubble;
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
      // A request the server never answers is retried (same messageId) instead of hanging.
      signal: AbortSignal.timeout(20000),
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new HttpError(response.status, data, response.headers);
    return data;
  }

  const transient = (e) => !(e instanceof HttpError) || e.status >= 500;
  const gone = (e) => e instanceof HttpError && e.status === 404;

  function setCompose(on) { for (const n of [input, sendButton, imageButton]) n.disabled = !on; }

  async function start() {
    started = true;
    const saved = load();
    if (saved) {
      try { draw(await api("GET", `/api/session/${saved}/history`), saved); return; }
      catch (e) {
        if (!gone(e)) { retryLater(T.noConnection, start); return; }
        session = null;
        save();
        return opening(T.expired);
      }
    }
    const token = resumable();
    if (token) { offerResume(token); return; }
    localStorage.removeItem(KEY);
    await opening();
  }

  /** The greeting of a new conversation, or a way to try again. */
  async function opening(notice) {
    try { await newSession(notice); } catch { retryLater(T.noConnection, () => opening(notice)); }
  }

  /** A conversation kept in this browser: shown only if the visitor chooses it. */
  function offerResume(token) {
    setCompose(false);
    const choices = el("div", { class: "options" });
    const choose = async (resume) => {
      for (const b of choices.querySelectorAll("button")) b.disabled = true;
      if (resume) {
        try {
          const r = await api("POST", "/api/session/resume", { resumeToken: token });
          localStorage.setItem(KEY, JSON.stringify({ token: r.resumeToken, expiresAt: r.expiresAt }));
          const h = await api("GET", `/api/session/${r.sessionId}/history`);
          ask.remove();
          setCompose(true);
          draw(h, r.sessionId);
          return;
        } catch (e) {
          if (transient(e)) { showError(e); for (const b of choices.querySelectorAll("button")) b.disabled = false; return; }
        }
      }
      ask.remove();
      setCompose(true);
      localStorage.removeItem(KEY);
      await opening(resume ? T.expired : null);
    };
    choices.append(
      el("button", { type: "button", class: "option", text: T.resume, onclick: () => choose(true) }),
      el("button", { type: "button", class: "option", text: T.fresh, onclick: () => choose(false) }));
    const ask = say(T.kept);
    ask.append(choices);
  }

  async function newSession(notice, before) {
    typing.textContent = T.typing;
    try {
      const g = await api("POST", "/api/greeting", { locale: LANG });
      session = g.sessionId;
      save();
      if (notice) say(notice, "info", before);
      addBot(g.reply, { options: g.options, before });
      keepResumeToken();
    } finally { typing.textContent = ""; }
  }

  /** The conversation again, as the server keeps it: messages, images, tickets, the last options. */
  function draw(h, id) {
    session = id;
    save();
    const lines = [
      ...h.messages.map((m, i) => ({ at: Date.parse(m.at), i, m })),
      ...h.uploads.map((u, i) => ({ at: Date.parse(u.at), i: i + 0.5, u })),
    ].sort((a, b) => a.at - b.at || a.i - b.i);
    let last = null;
    for (const { m, u } of lines) {
      if (u) {
        mark(addMine(T.imageSent, u.at), "delivered");
        last = u.status === "queued" ? null : addBot(imageNote(u), { at: u.at, live: false });
      } else if (m.from === "visitor") { mark(addMine(m.text, m.at), "delivered"); last = null; }
      else last = addBot(m.text, { at: m.at, live: false, ticket: h.tickets.find((t) => m.text.includes(t.ticketId)) });
    }
    if (last && h.options.length) last.insertBefore(choices(h.options), last.lastChild);
    if (h.canRate) askRating();
    scroll();
  }

  function onKey(e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  }

  function onInput() {
    const left = MAX_CHARS - input.value.length;
    counter.textContent = left < 0 ? T.over(-left) : left <= 200 ? T.left(left) : "";
    counter.classList.toggle("over", left < 0);
    input.setAttribute("aria-invalid", String(left < 0));
    input.style.setProperty("height", "auto");
    input.style.setProperty("height", Math.min(input.scrollHeight, 140) + "px");
  }

  function submit() {
    const text = input.value.trim();
    if (!text) return;
    if (text.length > MAX_CHARS) { showError(null, T.tooLong); return; }
    input.value = "";
    onInput();
    send({ message: text }, text);
  }

  /** Sends one visitor turn with its own messageId, retried with the same id. */
  function send(turn, shown) {
    retireOptions();
    const item = { turn: { ...turn, messageId: crypto.randomUUID() }, bubble: addMine(shown) };
    mark(item.bubble, navigator.onLine ? "sending" : "pending");
    emit("message", { from: "visitor", text: shown });
    outbox.push(item);
    flush();
  }

  let flushing = false;
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      while (outbox.length) {
        if (!navigator.onLine) { banner.hidden = false; for (const i of outbox) mark(i.bubble, "pending"); return; }
        if (Date.now() < blockedUntil) return; // the countdown flushes when it ends
        const item = outbox[0];
        const result = await deliver(item);
        if (result === "wait") return;
        outbox.shift();
        if (result !== true) failed(item, result);
      }
    } finally { flushing = false; }
  }

  /** true once answered; "wait" to stay queued (offline, rate limited); else the error it failed with. */
  async function deliver(item) {
    mark(item.bubble, "sending");
    typing.textContent = T.typing;
    let renewed = false;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          if (!session) { await newSession(null, item.bubble); renewed = true; typing.textContent = T.typing; }
          const reply = await api("POST", "/api/chat", { sessionId: session, ...item.turn });
          mark(item.bubble, "delivered");
          answer(reply);
          return true;
        } catch (e) {
          const renew = e instanceof HttpError && ((e.status === 404 && e.code === "session_not_found") || (e.status === 409 && e.code === "conversation_full"));
          if (renew && !renewed) {
            // A new conversation: typed words go on in it, a button of the old one means nothing there.
            session = null;
            await newSession(e.status === 404 ? T.expired : T.full, item.bubble).catch(() => {});
            typing.textContent = T.typing;
            renewed = true;
            if (item.turn.action) return e;
            attempt = -1;
            continue;
          }
          if (e instanceof HttpError && e.status === 429) { countdown(e.retryAfter || 5); mark(item.bubble, "pending"); return "wait"; }
          if (!transient(e)) return e;
          if (!navigator.onLine) { banner.hidden = false; mark(item.bubble, "pending"); return "wait"; }
          if (attempt >= BACKOFF.length) return e;
          await sleep(BACKOFF[attempt]);
        }
      }
    } finally { typing.textContent = ""; }
  }

  function answer(reply) {
    addBot(reply.reply, { options: reply.options, ticket: reply.ticket });
    notice.hidden = !reply.degraded;
    if (reply.ticket) emit("ticket", reply.ticket);
    if (reply.state === "solved" || reply.state === "ticket_created") askRating();
  }

  function failed(item, error) {
    mark(item.bubble, "failed");
    const reason = error instanceof HttpError && !transient(error) ? ": " + friendly(error) : "";
    const retry = el("button", { type: "button", class: "option", text: T.retry, onclick: () => {
      note.remove();
      mark(item.bubble, "sending");
      outbox.push(item);
      flush();
    } });
    const note = el("div", { class: "fail", role: "alert" }, el("span", { text: T.failed + reason + ". " }), retry);
    item.bubble.after(note);
  }

  function countdown(seconds) {
    blockedUntil = Date.now() + seconds * 1000;
    sendButton.disabled = true;
    const tick = () => {
      const left = Math.ceil((blockedUntil - Date.now()) / 1000);
      if (left <= 0) { alertBox.textContent = ""; sendButton.disabled = false; flush(); return; }
      alertBox.textContent = T.wait(left);
      setTimeout(tick, 1000);
    };
    tick();
  }

  // Keys inside the widget only: the host page's own dialogs keep their Escape.
  root.addEventListener("keydown", (e) => { if (e.key === "Escape" && !panel.hidden) { e.preventDefault(); e.stopPropagation(); toggle(false); } });
  addEventListener("offline", () => { banner.hidden = false; });
  addEventListener("online", () => { banner.hidden = true; flush(); });

  // ---------------------------------------------------------------- rating
  function askRating() {
    log.querySelector(".rate")?.remove();
    let up = null;
    const comment = el("textarea", { rows: 2, maxLength: 500, dir: "auto", "aria-label": T.comment, placeholder: T.comment });
    const more = el("div", { class: "more", hidden: true }, comment,
      el("button", { type: "button", class: "send", text: T.send, onclick: async (e) => {
        e.target.disabled = true;
        try {
          await api("POST", "/api/feedback", { sessionId: session, rating: up ? "up" : "down", comment: comment.value.trim() || undefined });
        } catch (err) {
          if (err?.code === "nothing_to_rate") { box.remove(); return; }
          if (err?.code !== "already_rated") { e.target.disabled = false; showError(err); return; }
        }
        box.textContent = "";
        box.append(el("p", { text: T.thanks }));
        input.focus();
      } }));
    const thumbs = [[true, T.good], [false, T.bad]].map(([value, label]) =>
      el("button", { type: "button", class: "option thumb" + (value ? "" : " down"), "aria-pressed": "false", "aria-label": label, title: label, onclick: () => {
        up = value;
        for (const [i, b] of thumbs.entries()) b.setAttribute("aria-pressed", String(i === (value ? 0 : 1)));
        more.hidden = false;
        comment.focus();
      } }, icon(THUMB)));
    const box = el("div", { class: "msg bot rate", role: "group", "aria-label": T.rateQ }, el("p", { text: T.rateQ }), el("div", { class: "options" }, ...thumbs), more);
    place(box);
  }

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

  async function sendImage(file, bubble) {
    if (!TYPES.includes(file.type)) { showError(null, T.notImage); return; }
    if (file.size > MAX_BYTES) { showError(null, T.tooBig); return; }
    const job = { canceled: false, xhr: null };
    const progress = el("progress", { max: 100, value: 0, "aria-label": T.uploading });
    const cancel = el("button", { type: "button", class: "link cancel", text: T.cancel, onclick: () => { job.canceled = true; job.xhr?.abort(); } });
    if (!bubble) {
      const preview = URL.createObjectURL(file);
      // Scrolled again once the image has its height, so the progress bar stays in view.
      const img = el("img", { src: preview, alt: file.name, onload: scroll });
      bubble = place(el("div", { class: "msg me image" }, img));
    }
    if (bubble.nextElementSibling?.matches(".fail")) bubble.nextElementSibling.remove();
    delete bubble.dataset.state;
    bubble.append(progress, cancel);
    scroll();
    try {
      if (!session) await newSession(null, bubble);
      const id = await upload(file, (p) => { progress.value = p; }, job);
      progress.value = 100;
      const view = await analysed(id, job);
      bubble.dataset.state = "delivered";
      addBot(imageNote(view));
    } catch (e) {
      if (job.canceled) { bubble.remove(); say(T.canceled); return; }
      bubble.dataset.state = "failed";
      bubble.after(el("div", { class: "fail", role: "alert" }, el("span", { text: `${T.uploadFailed}: ${friendly(e)} ` }),
        el("button", { type: "button", class: "option", text: T.retry, onclick: () => sendImage(file, bubble) })));
    } finally { progress.remove(); cancel.remove(); }
  }

  /** What the bot says of an analysed image: its hint (too dark, blurry…) or that it arrived. */
  const imageNote = (u) => (u.status === "failed" ? T.imageFailed : u.hintMessage ? "📷 " + u.hintMessage : T.analysed);

  async function upload(file, onProgress, job) {
    const headers = { "x-session-id": session };
    let offer = null;
    try {
      offer = await api("POST", "/api/upload-url", { contentType: file.type, size: file.size }, headers);
    } catch (e) {
      if (!(e instanceof HttpError) || ![404, 405].includes(e.status) || e.code === "session_not_found") throw e;
    }
    if (job.canceled) throw new Error("canceled");
    if (offer) {
      await xhrSend(offer.method || "PUT", offer.url, offer.headers || {}, file, onProgress, job);
      return offer.uploadId;
    }
    const form = new FormData();
    form.append("image", file);
    return (await xhrSend("POST", API + "/api/upload-image", headers, form, onProgress, job)).uploadId;
  }

  function xhrSend(method, url, headers, body, onProgress, job) {
    return new Promise((resolve, reject) => {
      const xhr = (job.xhr = new XMLHttpRequest());
      xhr.open(method, url);
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
      xhr.onload = () => {
        let data = null;
        try { data = JSON.parse(xhr.responseText || "null"); } catch { /* S3 answers XML or nothing */ }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data || {});
        else reject(new HttpError(xhr.status, data, { get: (h) => xhr.getResponseHeader(h) }));
      };
      xhr.onerror = xhr.onabort = () => reject(new Error("network"));
      xhr.send(body);
    });
  }

  async function analysed(id, job) {
    for (let wait = 300; ; wait = Math.min(wait * 2, 4000)) {
      if (job.canceled) throw new Error("canceled");
      const view = await api("GET", `/api/upload/${id}`, undefined, { "x-session-id": session });
      if (view.status === "done" || view.status === "failed") return view;
      await sleep(wait);
    }
  }

  // ---------------------------------------------------------------- data rights
  function saveFile(name, type, text) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = el("a", { href: url, download: name, hidden: true });
    root.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  async function download() {
    if (!session) return;
    try {
      const data = await api("GET", `/api/session/${session}/export`);
      saveFile(`sti-chat-${session}.json`, "application/json", JSON.stringify(data, null, 2));
    } catch (e) { showError(e); }
  }

  /** The conversation as plain text a person reads: when, who, what. */
  async function downloadTranscript() {
    if (!session) return;
    try {
      const h = await api("GET", `/api/session/${session}/history`);
      const when = new Intl.DateTimeFormat(clockLocale, { dateStyle: "short", timeStyle: "short" });
      const lines = [`${T.title} — ${when.format(new Date())}`, ""];
      for (const m of h.messages) lines.push(`[${when.format(new Date(m.at))}] ${m.from === "visitor" ? T.you : T.bot}:`, m.text, "");
      for (const t of h.tickets) lines.push(`${T.ticket} ${t.ticketId} — ${T.whatsapp}: ${t.whatsappUrl}`);
      saveFile(`sti-chat-${new Date().toISOString().slice(0, 10)}.txt`, "text/plain;charset=utf-8", lines.join("\n"));
    } catch (e) { showError(e); }
  }

  /** Asked inside the widget (a browser confirm() would block the host page). */
  function askErase() {
    if (!session || log.querySelector(".confirm")) return;
    const ask = say(T.confirmErase, "info confirm");
    const no = el("button", { type: "button", class: "option", text: T.cancel, onclick: () => { ask.remove(); input.focus(); } });
    ask.append(el("div", { class: "options" }, el("button", { type: "button", class: "option danger", text: T.yesErase, onclick: erase }), no));
    no.focus();
  }

  async function erase() {
    try {
      await api("DELETE", `/api/session/${session}`);
      session = null;
      save();
      log.textContent = "";
      say(T.erased);
      input.focus();
    } catch (e) { showError(e); }
  }

  // Phones: the panel follows the visual viewport, so the keyboard never covers the input,
  // and a log that was at its end stays there when the keyboard shrinks it.
  if (window.visualViewport) {
    const fit = () => {
      const pinned = nearBottom();
      host.style.setProperty("--sti-vh", visualViewport.height + "px");
      host.style.setProperty("--sti-top", visualViewport.offsetTop + "px");
      if (pinned) requestAnimationFrame(scroll);
    };
    visualViewport.addEventListener("resize", fit);
    visualViewport.addEventListener("scroll", fit);
    fit();
  }

  window.STIChat = Object.freeze({
    open: () => toggle(true),
    close: () => toggle(false),
    toggle: () => toggle(),
    on(name, fn) { (listeners[name] ||= []).push(fn); return () => off(name, fn); },
    off,
  });
  document.body.append(host);
})();

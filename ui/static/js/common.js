// campusgate: what every page shares. Plain JavaScript, no framework, no CDN.
"use strict";

const CG = (() => {
  const page = JSON.parse(document.getElementById("page-data").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const messages = page.messages || {};

  function t(key, values) {
    let text = messages[key];
    if (text === undefined) return key;
    if (values) for (const [k, v] of Object.entries(values)) text = text.replaceAll(`{${k}}`, String(v));
    return text;
  }

  // Build DOM nodes without innerHTML: nothing from the wire is ever parsed as HTML.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function api(method, path, body) {
    const response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return null;
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const message = data.message || (data.detail ? t("error.invalid_input") : `HTTP ${response.status}`);
      const error = new Error(message);
      error.status = response.status;
      error.code = data.error;
      error.detail = data.detail || "";
      error.fields = data.fields || [];
      throw error;
    }
    return data;
  }

  const banner = document.getElementById("live-banner");
  function showBanner(text) { banner.textContent = text; banner.classList.remove("hidden"); }
  function hideBanner() { banner.classList.add("hidden"); }

  // One EventSource per page; events come in batches (JSON arrays).
  function live(query, onEvents, onHello) {
    const source = new EventSource(`/api/v1/live?${query}`);
    source.addEventListener("hello", (e) => {
      hideBanner();
      if (onHello) onHello(JSON.parse(e.data));
      document.body.dataset.live = "connected";
    });
    source.addEventListener("batch", (e) => onEvents(JSON.parse(e.data)));
    source.addEventListener("reload", () => {
      source.close();
      showBanner(t("live.reload"));
      setTimeout(() => location.reload(), 300);
    });
    source.onopen = hideBanner;
    source.onerror = () => { document.body.dataset.live = "lost"; showBanner(t("live.lost")); };
    return source;
  }

  function time(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.toLocaleTimeString(page.lang === "en" ? "en-GB" : "zh-CN", { hour12: false });
  }

  function celsius(value) {
    return value === null || value === undefined ? "—" : `${Number(value).toFixed(1)} °C`;
  }

  function reasons(list) {
    return (list || []).map((r) => t(`reason.${r}`)).join(" · ");
  }

  function personText(person) {
    if (!person) return t("person.unknown");
    return `${person.name} · ${t(`kind.${person.kind}`)} · ${person.masked_id}`;
  }

  // The alarm: counted on <body data-sounds> so tests (and people) can see it fired.
  let soundsPlayed = 0;
  function alarm() {
    const audio = document.getElementById("alarm");
    if (!audio) return Promise.resolve(false);
    audio.currentTime = 0;
    document.body.dataset.soundRequested = String(Number(document.body.dataset.soundRequested || 0) + 1);
    return audio.play().then(() => {
      soundsPlayed += 1;
      document.body.dataset.sounds = String(soundsPlayed);
      return true;
    }).catch(() => {
      document.body.dataset.soundBlocked = "1";
      const toggle = document.getElementById("sound-toggle");
      if (toggle) toggle.classList.remove("hidden");
      return false;
    });
  }

  function onReady(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  onReady(() => {
    const select = document.getElementById("lang-select");
    if (select) {
      select.addEventListener("change", async () => {
        await api("PUT", "/api/v1/me/lang", { lang: select.value });
        location.reload();
      });
    }
  });

  return { page, t, el, api, live, time, celsius, reasons, personText, alarm, onReady, showBanner };
})();

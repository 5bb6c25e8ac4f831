// The unit page: approve or refuse my unit's visitors from a phone. Every action is a call
// to the JSON API; the page reloads itself to show new requests (walk-ins wait for it).
"use strict";

CG.onReady(() => {
  const { api, t } = CG;
  const result = document.getElementById("unit-result");
  const REFRESH_MS = 15000;

  function report(text, ok) {
    result.textContent = text;
    result.className = ok ? "ok" : "error";
  }

  function settle(card, text) {
    for (const node of card.querySelectorAll("button, input.reason")) node.remove();
    card.dataset.decided = text;
    card.append(CG.el("strong", { class: "decided" }, text));
  }

  for (const button of document.querySelectorAll("button.approve")) {
    button.addEventListener("click", async () => {
      const card = button.closest("article");
      try {
        const done = await api("POST", `/api/v1/unit/appointments/${encodeURIComponent(button.dataset.id)}/approve`, {});
        settle(card, t("unit.approved"));
        document.getElementById("visitor-qr").src = `data:image/png;base64,${done.qr_png}`;
        document.getElementById("visitor-code").classList.remove("hidden");
        report(t("unit.approved"), true);
      } catch (error) {
        report(error.message, false);
      }
    });
  }
  for (const button of document.querySelectorAll("button.refuse")) {
    button.addEventListener("click", async () => {
      const card = button.closest("article");
      const reason = card.querySelector("input.reason").value.trim();
      if (reason.length < 4) { report(t("unit.reason"), false); card.querySelector("input.reason").focus(); return; }
      try {
        await api("POST", `/api/v1/unit/appointments/${encodeURIComponent(button.dataset.id)}/refuse`, { reason });
        settle(card, t("unit.refused"));
        report(t("unit.refused"), true);
      } catch (error) {
        report(error.message, false);
      }
    });
  }
  for (const button of document.querySelectorAll("button.cancel")) {
    button.addEventListener("click", async () => {
      const reason = window.prompt(t("unit.reason"));
      if (!reason) return;
      try {
        await api("POST", `/api/v1/unit/appointments/${encodeURIComponent(button.dataset.id)}/cancel`, { reason });
        location.reload();
      } catch (error) {
        report(error.message, false);
      }
    });
  }
  for (const button of document.querySelectorAll("button.approve-batch")) {
    button.addEventListener("click", async () => {
      try {
        await api("POST", `/api/v1/unit/events/${encodeURIComponent(button.dataset.batch)}/approve`);
        location.reload();
      } catch (error) {
        report(error.message, false);
      }
    });
  }
  const eventForm = document.getElementById("event-form");
  eventForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(eventForm);
    for (const name of ["valid_from", "valid_until"]) data.set(name, new Date(data.get(name)).toISOString());
    const out = document.getElementById("event-result");
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const response = await fetch("/api/v1/unit/events", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }, body: data,
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok && body.written) { out.textContent = t("unit.event_done", { rows: body.rows }); location.reload(); return; }
    const errors = (body.errors || []).map((e) => `${e.line}: ${e.reason}`).join("; ");
    out.textContent = body.errors ? t("unit.event_refused", { errors }) : (body.message || `HTTP ${response.status}`);
    out.className = "error";
  });
  // A new request (a walk-in waiting at the gate) shows up without a tap: when the API lists
  // one this page does not show, and no refusal is half-typed, the page reloads.
  const shown = new Set([...document.querySelectorAll("article.request-card")].map((a) => a.dataset.id));
  setInterval(async () => {
    const typing = [...document.querySelectorAll("input.reason")].some((input) => input.value);
    if (typing) return;
    try {
      const listed = await api("GET", "/api/v1/unit/appointments");
      const fresh = listed.filter((p) => p.appointment.status === "requested" && !shown.has(p.appointment.appointment_id));
      if (fresh.length) location.reload();
    } catch (error) {
      report(error.message, false);
    }
  }, REFRESH_MS);
});

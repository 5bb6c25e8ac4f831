// One person at a time on the roster page: find, add, save, deactivate, reactivate, photo.
// Every change is a call to the JSON API with the reason, which the audit log keeps.
"use strict";

CG.onReady(() => {
  const { api, t } = CG;
  const form = document.getElementById("person-form");
  if (!form) return;
  const out = document.getElementById("person-result");
  const state = document.getElementById("person-state");
  const img = document.getElementById("person-img");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const FIELDS = ["name", "kind", "doc_type", "id_number", "card_no", "unit", "class_name", "dormitory", "phone", "gates"];

  function say(text, ok) { out.textContent = text; out.className = ok ? "ok" : "error"; }
  function personId() { return form.elements.person_id.value.trim(); }
  function url(suffix) { return `/api/v1/roster/persons/${encodeURIComponent(personId())}${suffix || ""}`; }
  function reason() { return form.elements.reason.value.trim(); }

  function show(entry) {
    for (const name of FIELDS) {
      if (name === "id_number") continue;  // never sent back: only the masked form exists
      const value = entry[name];
      if (value !== undefined && value !== null) form.elements[name].value = value;
    }
    form.elements.id_number.value = "";
    form.elements.id_number.placeholder = entry.masked_id;
    state.textContent = `${entry.person_id} ${entry.name} · ${entry.masked_id} · ${t("person.active")}: ${entry.active ? "✓" : "✗"}`;
    state.dataset.active = entry.active ? "yes" : "no";
    if (entry.has_photo) {
      img.src = url(`/photo?thumb=true&_=${Date.now()}`);
      img.classList.remove("hidden");
    } else {
      img.classList.add("hidden");
    }
  }

  function values(all) {
    const found = { person_id: personId() };
    for (const name of FIELDS) {
      const value = form.elements[name].value.trim();
      if (all || value !== "" || name !== "id_number") found[name] = value;
    }
    if (found.id_number === "") { delete found.id_number; delete found.doc_type; }
    return found;
  }

  async function sendPhoto() {
    const file = document.getElementById("person-photo").files[0];
    if (!file) return null;
    const body = new FormData();
    body.append("file", file);
    body.append("reason", reason());
    const response = await fetch(url("/photo"), { method: "PUT", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }, body });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail && typeof data.detail === "string" ? `${data.message}: ${data.detail}` : (data.message || `HTTP ${response.status}`));
    return data;
  }

  async function run(action, done) {
    try {
      let entry = await action();
      if (done !== "person.found") entry = (await sendPhoto()) || entry;
      show(entry);
      say(t(done || "person.saved", { id: entry.person_id }), true);
    } catch (error) { say(error.message, false); }
  }

  document.getElementById("person-find").addEventListener("click", () => run(() => api("GET", url()), "person.found"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(() => api("POST", "/api/v1/roster/persons", { values: values(true), reason: reason() }));
  });
  document.getElementById("person-save").addEventListener("click", () =>
    run(() => api("PATCH", url(), { values: values(false), reason: reason() })));
  document.getElementById("person-deactivate").addEventListener("click", () =>
    run(() => api("POST", url("/deactivate"), { reason: reason() })));
  document.getElementById("person-reactivate").addEventListener("click", () =>
    run(() => api("POST", url("/reactivate"), { reason: reason() })));
});

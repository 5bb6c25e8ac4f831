// The daily check-in form of one person (templates/_checkin.html): needs nothing else on the page.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const card = document.getElementById("checkin-self");
  if (!card) return;
  const form = document.getElementById("checkin-self-form");
  const result = document.getElementById("checkin-self-result");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const meta = document.querySelector('meta[name="csrf-token"]');
    const headers = { "Content-Type": "application/json" };
    if (meta) headers["X-CSRF-Token"] = meta.content;
    const body = {
      slot: form.elements.slot.value,
      celsius: form.elements.celsius.value,
      symptoms: [...form.querySelectorAll("input[name=symptom]:checked")].map((box) => box.value),
    };
    try {
      const response = await fetch(card.dataset.endpoint, { method: "POST", credentials: "same-origin", headers, body: JSON.stringify(body) });
      const data = await response.json().catch(() => ({}));
      result.textContent = response.ok ? result.dataset.done : (data.message || `HTTP ${response.status}`);
      result.className = response.ok ? "muted" : "error";
      result.dataset.state = response.ok ? "done" : "error";
    } catch (error) {
      result.textContent = String(error);
      result.className = "error";
    }
  });
});

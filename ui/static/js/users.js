// Administration: add users, enable or disable them, re-send dead letters.
"use strict";

CG.onReady(() => {
  const { api } = CG;
  const form = document.getElementById("user-form");
  const result = document.getElementById("user-result");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const gates = String(data.get("gates") || "").split(/[,;\s]+/).filter(Boolean);
    try {
      await api("POST", "/api/v1/users", {
        username: data.get("username"), password: data.get("password"),
        role: data.get("role"), gates, lang: data.get("lang"),
      });
      location.reload();
    } catch (error) {
      result.textContent = error.message;
      result.className = "error";
    }
  });
  for (const button of document.querySelectorAll(".toggle-active")) {
    button.addEventListener("click", async () => {
      const active = button.dataset.active !== "true";
      await api("PUT", `/api/v1/users/${encodeURIComponent(button.dataset.username)}/active`, { active });
      location.reload();
    });
  }
  for (const button of document.querySelectorAll(".retry-letter")) {
    button.addEventListener("click", async () => {
      await api("POST", `/api/v1/notifications/dead-letters/${button.dataset.id}/retry`);
      location.reload();
    });
  }
});

// Pass categories and the household exit quota: every action is a call to the JSON API.
"use strict";

CG.onReady(() => {
  const { api, t } = CG;
  const result = document.getElementById("everyday-result");
  const number = (value) => (value ? Number(value) : null);

  function fail(error) {
    result.textContent = error.message;
    result.className = "error";
  }

  document.getElementById("category-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    try {
      await api("POST", "/api/v1/passes/categories", {
        name: data.get("name"), label: data.get("label"), max_days: number(data.get("max_days")),
        max_active: number(data.get("max_active")), default_uses: number(data.get("default_uses")),
      });
      location.reload();
    } catch (error) { fail(error); }
  });
  document.getElementById("quota-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    try {
      await api("PUT", "/api/v1/policy/exit-quota", {
        exits: number(data.get("exits")), window_hours: number(data.get("window_hours")),
        reason: data.get("reason"),
      });
      location.reload();
    } catch (error) { fail(error); }
  });
  document.getElementById("household-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const household = new FormData(event.target).get("household");
    try {
      const status = await api("GET", `/api/v1/households/${encodeURIComponent(household)}/quota`);
      document.getElementById("household-quota").textContent = status.quota
        ? t("everyday.household_now", { used: status.exits_in_window.length, left: status.remaining })
        : t("common.none");
    } catch (error) { fail(error); }
  });
});

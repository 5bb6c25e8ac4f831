// Units: who approves and who is 信息员 of which unit, and the risk areas. Calls the JSON API.
"use strict";

CG.onReady(() => {
  const { api } = CG;
  const result = document.getElementById("units-result");

  async function act(path, body) {
    try {
      await api("POST", path, body);
      location.reload();
    } catch (error) {
      result.textContent = error.message;
      result.className = "error";
    }
  }

  for (const form of document.querySelectorAll("form.add-form")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const data = new FormData(form);
      act(form.dataset.api, { unit: data.get("unit"), [form.dataset.field]: data.get("who") });
    });
  }
  for (const button of document.querySelectorAll("button.remove")) {
    button.addEventListener("click", () =>
      act(button.dataset.api, { unit: button.dataset.unit, [button.dataset.field]: button.dataset.who }));
  }
  document.getElementById("area-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act("/api/v1/visitors/risk-areas", { name: new FormData(event.target).get("name") });
  });
  for (const button of document.querySelectorAll("button.remove-area")) {
    button.addEventListener("click", () => act("/api/v1/visitors/risk-areas/remove", { name: button.dataset.name }));
  }
});

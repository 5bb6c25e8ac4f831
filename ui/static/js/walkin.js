// Walk-in at the lane (登记): register, then wait for the host unit's answer and show it.
"use strict";

CG.onReady(() => {
  const { api, t, page } = CG;
  const form = document.getElementById("walkin-form");
  const status = document.getElementById("walkin-status");
  const POLL_MS = 2000;

  function show(answer) {
    status.dataset.status = answer.status;
    if (answer.status === "approved") {
      status.textContent = t("walkin.approved");
      document.getElementById("walkin-code").textContent = answer.code || "";
      document.getElementById("visitor-code").classList.remove("hidden");
      return true;
    }
    if (answer.status === "refused" || answer.status === "cancelled") {
      status.textContent = t("walkin.refused", { note: answer.note || "" });
      return true;
    }
    status.textContent = t("walkin.waiting");
    return false;
  }

  async function follow(id) {
    const base = `/api/v1/gates/${encodeURIComponent(page.gate)}/walkins/${encodeURIComponent(id)}`;
    for (;;) {
      try {
        if (show(await api("GET", base))) return;
      } catch (error) {
        status.textContent = error.message;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  // Today's approved visitors and vehicles for this gate.
  (async () => {
    const body = document.querySelector("#expected tbody");
    try {
      const expected = await api("GET", `/api/v1/gates/${encodeURIComponent(page.gate)}/expected`);
      for (const e of expected) {
        body.append(CG.el("tr", { dataset: { id: e.appointment_id } },
          CG.el("td", {}, CG.time(e.valid_from)), CG.el("td", {}, e.visitor_name),
          CG.el("td", {}, e.host_unit), CG.el("td", {}, e.plate || ""), CG.el("td", {}, `×${e.party}`)));
      }
      if (!expected.length) body.append(CG.el("tr", {}, CG.el("td", { class: "muted" }, t("common.none"))));
    } catch (error) {
      status.textContent = error.message;
    }
  })();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      const made = await api("POST", `/api/v1/gates/${encodeURIComponent(page.gate)}/walkins`, {
        visitor_name: data.get("visitor_name"), phone: data.get("phone"),
        document_type: data.get("document_type"), document_number: data.get("document_number"),
        host_unit: data.get("host_unit"), host_person: data.get("host_person"),
        purpose: data.get("purpose"), gate: page.gate,
      });
      form.dataset.appointment = made.appointment_id;
      status.textContent = t("walkin.waiting");
      follow(made.appointment_id);
    } catch (error) {
      status.textContent = error.message;
    }
  });
});

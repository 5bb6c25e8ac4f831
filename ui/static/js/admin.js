// Administration: visitor appointments (request, approve with the QR, refuse), temporary
// passes (issue with the QR, revoke). Every action is a
// call to the JSON API.
"use strict";

CG.onReady(() => {
  const { api, t } = CG;

  function localToIso(value) {
    // datetime-local has no zone: the browser's own offset makes it an aware time.
    return value ? new Date(value).toISOString() : null;
  }

  function report(node, text, ok) {
    node.textContent = text;
    node.className = ok ? "ok" : "error";
  }

  const result = document.getElementById("appt-result");
  const form = document.getElementById("appointment-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      try {
        await api("POST", "/api/v1/appointments", {
          visitor_name: data.get("visitor_name"), phone: data.get("phone") || "",
          id_number: data.get("id_number"), host_unit: data.get("host_unit"),
          purpose: data.get("purpose") || "",
          gates: String(data.get("gates") || "").split(/[,;\s]+/).filter(Boolean),
          valid_from: localToIso(data.get("valid_from")), valid_until: localToIso(data.get("valid_until")),
          once: data.get("once") === "on",
        });
        location.reload();
      } catch (error) {
        report(result, error.message, false);
      }
    });
  }
  for (const button of document.querySelectorAll("button.approve")) {
    button.addEventListener("click", async () => {
      try {
        const approval = await api("POST", `/api/v1/appointments/${encodeURIComponent(button.dataset.id)}/approve`, {});
        const row = button.closest("tr");
        row.className = "appt-approved";
        row.querySelector(".status").textContent = t("appt.status.approved");
        row.querySelector(".decided-by").textContent = approval.appointment.decided_by || "";
        for (const b of row.querySelectorAll("button")) b.remove();
        document.getElementById("visitor-qr").src = `data:image/png;base64,${approval.qr_png}`;
        document.getElementById("visitor-code").classList.remove("hidden");
        report(result, t("appt.approved", { id: approval.appointment.appointment_id }), true);
      } catch (error) {
        report(result, error.message, false);
      }
    });
  }
  for (const button of document.querySelectorAll("button.refuse")) {
    button.addEventListener("click", async () => {
      const reason = window.prompt(t("appt.refuse_reason"));
      if (!reason) return;
      try {
        await api("POST", `/api/v1/appointments/${encodeURIComponent(button.dataset.id)}/refuse`, { reason });
        location.reload();
      } catch (error) {
        report(result, error.message, false);
      }
    });
  }

  const approverForm = document.getElementById("approver-form");
  if (approverForm) {
    approverForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(approverForm);
      try {
        await api("POST", "/api/v1/appointments/approvers", { unit: data.get("unit"), approver: data.get("approver") });
        location.reload();
      } catch (error) {
        report(result, error.message, false);
      }
    });
  }
  for (const button of document.querySelectorAll("button.remove-approver")) {
    button.addEventListener("click", async () => {
      try {
        await api("POST", "/api/v1/appointments/approvers/remove", { unit: button.dataset.unit, approver: button.dataset.approver });
        location.reload();
      } catch (error) {
        report(result, error.message, false);
      }
    });
  }

  const passResult = document.getElementById("pass-result");
  const passForm = document.getElementById("pass-form");
  if (passForm) {
    passForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(passForm);
      const uses = String(data.get("max_uses") || "");
      try {
        const issued = await api("POST", "/api/v1/passes", {
          category: data.get("category"), holder_name: data.get("holder_name"),
          phone: data.get("phone") || "", id_number: data.get("id_number"),
          unit: data.get("unit") || "", reason: data.get("reason") || "",
          gates: String(data.get("gates") || "").split(/[,;\s]+/).filter(Boolean),
          valid_from: localToIso(data.get("valid_from")), valid_until: localToIso(data.get("valid_until")),
          max_uses: uses ? Number(uses) : null,
        });
        document.getElementById("pass-qr").src = `data:image/png;base64,${issued.qr_png}`;
        document.getElementById("pass-code").classList.remove("hidden");
        report(passResult, t("pass.issued", { id: issued.temp_pass.pass_id }), true);
      } catch (error) {
        report(passResult, error.message, false);
      }
    });
  }
  for (const button of document.querySelectorAll("button.revoke")) {
    button.addEventListener("click", async () => {
      const reason = window.prompt(t("pass.revoke_reason"));
      if (!reason) return;
      try {
        await api("POST", `/api/v1/passes/${encodeURIComponent(button.dataset.id)}/revoke`, { reason });
        location.reload();
      } catch (error) {
        report(passResult, error.message, false);
      }
    });
  }

  // Cards for one unit: the PDF comes back as a download.
  const cardsForm = document.getElementById("cards-form");
  if (cardsForm) {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const result = document.getElementById("cards-result");
    cardsForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = document.getElementById("cards-print");
      button.disabled = true;
      try {
        const unit = document.getElementById("cards-unit").value;
        const lang = document.getElementById("cards-lang").value;
        const response = await fetch("/api/v1/roster/cards", {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
          body: JSON.stringify({ unit, lang }),
        });
        if (!response.ok) {
          const data = await response.json().catch(() => ({}));
          throw new Error(data.detail && typeof data.detail === "string" ? `${data.message}: ${data.detail}` : (data.message || `HTTP ${response.status}`));
        }
        const link = document.createElement("a");
        link.href = URL.createObjectURL(await response.blob());
        link.download = "cards.pdf";
        document.body.append(link);
        link.click();
        link.remove();
        result.textContent = CG.t("roster.printed", { name: "cards.pdf" });
        result.className = "ok";
      } catch (error) {
        result.textContent = error.message;
        result.className = "error";
      } finally {
        button.disabled = false;
      }
    });
  }

  // The roster: the chosen file is checked first (a dry run), and only then imported.
  const rosterForm = document.getElementById("roster-form");
  if (rosterForm) {
    const importButton = document.getElementById("roster-import");
    const fileInput = document.getElementById("roster-file");
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    async function upload(dryRun) {
      const body = new FormData();
      body.append("file", fileInput.files[0]);
      const photos = document.getElementById("roster-photos").files[0];
      if (photos) body.append("photos", photos);
      const sync = document.getElementById("roster-sync").checked;
      const force = document.getElementById("roster-force").checked;
      const response = await fetch(`/api/v1/roster/import?dry_run=${dryRun}&sync=${sync}&force=${force}`, {
        method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }, body,
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(data.detail && typeof data.detail === "string" ? `${data.message}: ${data.detail}` : (data.message || `HTTP ${response.status}`));
      return data;
    }
    function show(result) {
      const card = document.getElementById("roster-report");
      card.classList.remove("hidden");
      card.dataset.state = result.written ? "imported" : "checked";
      document.getElementById("roster-summary").textContent = result.summary;
      const warnings = document.getElementById("roster-warnings");
      warnings.replaceChildren(...result.warnings.map((w) => CG.el("li", {}, w)));
      const rows = document.querySelector("#roster-errors tbody");
      rows.replaceChildren(...result.errors.map((e) => CG.el("tr", {}, CG.el("td", { class: "num" }, e.line), CG.el("td", {}, e.column), CG.el("td", {}, e.reason))));
    }
    function fail(error) {
      const card = document.getElementById("roster-report");
      card.classList.remove("hidden");
      card.dataset.state = "error";
      const summary = document.getElementById("roster-summary");
      summary.textContent = error.message;
      summary.className = "error";
    }
    fileInput.addEventListener("change", () => { importButton.disabled = true; });
    rosterForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        show(await upload(true));
        importButton.disabled = false;
      } catch (error) { fail(error); }
    });
    importButton.addEventListener("click", async () => {
      importButton.disabled = true;
      try { show(await upload(false)); } catch (error) { fail(error); }
    });
  }
});

// The response levels' forms: each level's settings, "preview" shows the changes field by
// field in words (or each field's problem), "save" stores it with the reason, against the
// level as the page read it (someone else's save since is refused, never overwritten).
"use strict";

CG.onReady(() => {
  const { api, el, t } = CG;

  function settings(form) {
    const f = form.elements;
    const tri = (name) => (f[name].value === "" ? null : f[name].value === "true");
    return {
      description: f.description.value.trim(),
      threshold: f.threshold.value.trim(),
      exit_quota: f.quota_on.checked
        ? { exits: Number(f.quota_exits.value), window_hours: Number(f.quota_hours.value) } : null,
      visitors_allowed: f.visitors_allowed.checked,
      closed_gates: [...form.querySelectorAll("input.closed-gate:checked")].map((b) => b.value),
      health_code_required: tri("health_code_required"),
      mask_required: tri("mask_required"),
    };
  }

  for (const form of document.querySelectorAll("form.level-edit")) {
    const name = () => form.dataset.level || form.elements.name.value.trim();
    const url = () => `/api/v1/policy/levels/${encodeURIComponent(name())}`;
    const errors = form.querySelector(".level-errors");
    const diff = form.querySelector(".level-diff");
    const save = form.querySelector(".level-save");
    const out = form.querySelector(".level-result");

    function showErrors(fields) {
      errors.querySelector("ul").replaceChildren(...fields.map((f) =>
        el("li", { dataset: { field: f.field } }, `${f.label}：${f.text}`)));
      errors.classList.remove("hidden");
      for (const f of fields) {
        const slot = form.querySelector(`[data-error-for="${CSS.escape(f.field)}"]`);
        if (slot) slot.textContent = f.text;
      }
    }
    function clear() {
      for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
      errors.classList.add("hidden");
      out.textContent = "";
    }
    form.addEventListener("input", (event) => { if (event.target.name !== "reason") save.disabled = true; });
    form.querySelector(".level-preview").addEventListener("click", async () => {
      clear();
      if (!name()) { showErrors([{ field: "name", label: t("policy.level_name"), text: t("policy.error.required") }]); return; }
      try {
        const found = await api("POST", `${url()}/preview`, { level: settings(form), base: form.dataset.base });
        diff.querySelector("ul").replaceChildren(...(found.changes.length ? found.changes.map((c) =>
          el("li", { dataset: { field: c.field } }, el("strong", {}, c.label), "：", c.old, " → ", c.new))
          : [el("li", {}, t("policy.diff_none"))]));
        diff.classList.remove("hidden");
        save.disabled = !found.changes.length;
      } catch (error) {
        diff.classList.add("hidden");
        if (error.fields && error.fields.length) showErrors(error.fields);
        else { out.textContent = error.message; out.className = "level-result error"; }
      }
    });
    save.addEventListener("click", async () => {
      clear();
      try {
        const saved = await api("PUT", url(), {
          level: settings(form), base: form.dataset.base, reason: form.elements.reason.value,
        });
        form.dataset.base = saved.base;
        out.textContent = t("policy.level_saved", { level: saved.name });
        out.className = "level-result ok";
        save.disabled = true;
      } catch (error) {
        if (error.fields && error.fields.length) showErrors(error.fields);
        out.textContent = error.message;
        out.className = "level-result error";
      }
    });
  }
});

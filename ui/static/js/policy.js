// The policy editor: every setting as a form; "preview" shows the changes against the
// version in force (field by field, in words) or each field's problem, then "save" stores
// a new version with the reason, against the version the page was read as. The response
// level: preview what it changes and which hand-set values it would replace (to confirm).
"use strict";

CG.onReady(() => {
  const { api, el, t } = CG;
  const form = document.getElementById("policy-form");
  const baseVersion = Number(document.getElementById("policy-current").dataset.version);
  const checked = (root, cls) => [...root.querySelectorAll(`input.${cls}:checked`)].map((b) => b.value);

  function report(node, text, ok) {
    node.textContent = text;
    node.className = ok ? "ok" : "error";
  }

  function zone(box) {
    const quota = box.querySelector(".zone-quota-on").checked;
    return {
      gates: checked(box, "zone-gate"),
      kinds: box.querySelector(".zone-limit").checked ? checked(box, "zone-kind") : null,
      open_from: box.querySelector(".zone-from").value || null,
      open_until: box.querySelector(".zone-until").value || null,
      exit_quota: quota ? {
        exits: Number(box.querySelector(".zone-exits").value),
        window_hours: Number(box.querySelector(".zone-hours").value),
      } : null,
    };
  }

  // The whole policy as the form shows it (the server checks every field).
  function settings() {
    const f = form.elements;
    const policy = {
      threshold: f.threshold.value.trim(),
      plausible_min: f.plausible_min.value.trim(),
      plausible_max: f.plausible_max.value.trim(),
      default_screening: f.default_screening.value,
      timezone: f.timezone.value.trim(),
      test_max_age_hours: f.test_required.checked ? Number(f.test_max_age_hours.value) : null,
      exit_quota: f.quota_on.checked
        ? { exits: Number(f.quota_exits.value), window_hours: Number(f.quota_hours.value) } : null,
      screening: {}, gate_kinds: {}, closed_gates: [], zones: {},
    };
    for (const name of ["health_code_required", "travel_check", "mask_required", "accept_plain_ids", "visitors_allowed"]) {
      policy[name] = f[name].checked;
    }
    for (const row of document.querySelectorAll("tr.gate-row")) {
      const gate = row.dataset.gate;
      const mode = row.querySelector(".gate-screening").value;
      if (mode) policy.screening[gate] = mode;
      if (row.querySelector(".gate-limit").checked) policy.gate_kinds[gate] = checked(row, "gate-kind");
      if (row.querySelector(".gate-closed").checked) policy.closed_gates.push(gate);
    }
    for (const box of document.querySelectorAll("#zones fieldset.zone")) {
      policy.zones[box.querySelector(".zone-name").value.trim()] = zone(box);
    }
    return policy;
  }

  function clearErrors() {
    for (const slot of document.querySelectorAll(".field-error")) slot.textContent = "";
    const list = document.querySelector("#policy-errors ul");
    list.replaceChildren();
    document.getElementById("policy-errors").classList.add("hidden");
  }

  // Each problem beside its field (where the page has a place for it) and in the list.
  function showErrors(fields) {
    const list = document.querySelector("#policy-errors ul");
    for (const f of fields) {
      list.append(el("li", { dataset: { field: f.field } }, `${f.label}：${f.text}`));
      let slot = document.querySelector(`[data-error-for="${CSS.escape(f.field)}"]`);
      if (!slot && f.field.startsWith("zones.")) {
        const name = f.field.split(".").slice(1, -1).join(".");
        const box = [...document.querySelectorAll("#zones fieldset.zone")]
          .find((b) => b.querySelector(".zone-name").value.trim() === name);
        slot = box && box.querySelector(".zone-error");
      }
      if (slot) slot.textContent = f.text;
    }
    document.getElementById("policy-errors").classList.remove("hidden");
  }

  function changeList(list, changes) {
    list.replaceChildren(...(changes.length ? changes.map((c) =>
      el("li", { dataset: { field: c.field } }, el("strong", {}, c.label), "：", c.old, " → ", c.new))
      : [el("li", {}, t("policy.diff_none"))]));
  }

  const diff = document.getElementById("policy-diff");
  const save = document.getElementById("policy-save");
  const result = document.getElementById("policy-result");
  let previewed = null;

  async function preview() {
    clearErrors();
    save.disabled = true;
    result.textContent = "";
    const body = { policy: settings(), base_version: baseVersion };
    try {
      const found = await api("POST", "/api/v1/policy/preview", body);
      changeList(diff.querySelector("ul"), found.changes);
      diff.classList.remove("hidden");
      previewed = found.changes.length ? JSON.stringify(body.policy) : null;
      save.disabled = !previewed;
    } catch (error) {
      diff.classList.add("hidden");
      if (error.fields) showErrors(error.fields); else report(result, error.message, false);
    }
  }

  async function store() {
    clearErrors();
    const policy = settings();
    if (JSON.stringify(policy) !== previewed) { await preview(); return; }  // changed since
    try {
      const version = await api("PUT", "/api/v1/policy", {
        policy, base_version: baseVersion, reason: form.elements.reason.value,
      });
      report(result, t("policy.saved", { version: version.version }), true);
      document.getElementById("policy-current").dataset.saved = String(version.version);
      save.disabled = true;
      setTimeout(() => location.reload(), 800);
    } catch (error) {
      if (error.fields && error.fields.length) showErrors(error.fields);
      report(result, error.message, false);
    }
  }

  if (form) {
    document.getElementById("policy-preview").addEventListener("click", preview);
    save.addEventListener("click", store);
    // A changed setting needs a new preview; the reason does not.
    form.addEventListener("input", (event) => { if (event.target.name !== "reason") save.disabled = true; });
    document.getElementById("zone-add").addEventListener("click", () => {
      const copy = document.getElementById("zone-template").content.cloneNode(true);
      document.getElementById("zones").append(copy);
    });
    document.getElementById("zones").addEventListener("click", (event) => {
      if (event.target.classList.contains("zone-remove")) event.target.closest("fieldset.zone").remove();
    });
  }

  // -- the response level ---------------------------------------------------------------
  const levelForm = document.getElementById("level-form");
  if (levelForm) {
    const out = document.getElementById("level-result");
    const overrides = document.getElementById("level-overrides");
    const confirm = document.getElementById("level-confirm");
    const request = () => ({
      level: levelForm.elements.level.value, reason: levelForm.elements.reason.value,
      base_version: baseVersion,
    });
    document.getElementById("level-preview").addEventListener("click", async () => {
      out.textContent = "";
      try {
        const found = await api("POST", "/api/v1/policy/level/preview", { ...request(), reason: "preview" });
        changeList(document.querySelector("#level-diff ul.changes"), found.changes);
        const list = overrides.querySelector("ul");
        list.replaceChildren(...found.overrides.map((o) => el("li", { dataset: { field: o.field } }, o.text)));
        overrides.classList.toggle("hidden", !found.overrides.length);
        confirm.checked = false;
        document.getElementById("level-diff").classList.remove("hidden");
      } catch (error) { report(out, error.message, false); }
    });
    document.getElementById("level-switch").addEventListener("click", async () => {
      try {
        const version = await api("POST", "/api/v1/policy/level", {
          ...request(), replace_hand_set: confirm.checked,
        });
        report(out, t("policy.switched", { level: version.level, version: version.version }), true);
        setTimeout(() => location.reload(), 600);
      } catch (error) {
        if (error.fields && error.fields.length) {
          overrides.querySelector("ul").replaceChildren(
            ...error.fields.map((o) => el("li", { dataset: { field: o.field } }, o.text)));
          overrides.classList.remove("hidden");
        }
        report(out, error.message, false);
      }
    });
  }
});

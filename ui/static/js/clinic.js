// The clinic: fever alerts arrive live with a sound; acknowledge, re-measure, observe, refer, release.
"use strict";

CG.onReady(() => {
  const { page, t, el, api } = CG;
  const $ = (id) => document.getElementById(id);
  const cases = new Map(page.cases.map((c) => [c.case_id, c]));
  const fresh = new Set();
  let selected = null;

  const when = (iso) => new Date(iso).toLocaleString(page.lang === "en" ? "en-GB" : "zh-CN", { hour12: false });

  function statusChip(c) {
    const chips = [];
    if (c.status === "released") chips.push(el("span", { class: "chip muted status" }, `${t("status.released")} · ${c.closed_by || ""}`));
    else if (c.escalated_at && !c.acknowledged_at) chips.push(el("span", { class: "chip bad status" }, t("status.escalated")));
    else if (c.status === "open") chips.push(el("span", { class: "chip bad status" }, t("status.open")));
    else if (c.status === "acknowledged") chips.push(el("span", { class: "chip ok status" }, `${t("status.acknowledged")} · ${c.acknowledged_by || ""}`));
    else chips.push(el("span", { class: "chip warn status" }, t(`status.${c.status}`)));
    if (c.status === "observation" && c.observation_until) {
      chips.push(el("div", { class: "muted" }, `${c.observation_room || t("clinic.place_home")} → ${when(c.observation_until)}`));
    }
    if (c.status === "referred" && c.hospital) chips.push(el("div", { class: "muted" }, c.hospital));
    chips.push(...flagChips(c));
    if (c.suspended) chips.push(el("span", { class: "chip bad suspended" }, t("status.suspended")));
    if (c.origin && c.origin !== "fever") chips.push(el("div", { class: "muted origin" }, t(`origin.${c.origin}`)));
    return el("div", {}, ...chips);
  }

  // Under observation: a twice-daily reading missed, the planned end passed (the server judges).
  const missedText = (m) => { const [day, slot] = m.split(" "); return `${day} ${t(`checkin.${slot}`)}`; };
  function flagChips(c) {
    const chips = (c.flags || []).map((flag) => el("span", { class: "chip bad flag", dataset: { flag } }, t(`flag.${flag}`)));
    if ((c.missed_readings || []).length) {
      chips.push(el("div", { class: "muted missed" }, `${t("clinic.missed")}: ${c.missed_readings.map(missedText).join("、")}`));
    }
    return chips;
  }

  async function act(caseId, path, body) {
    try {
      const updated = await api("POST", `/api/v1/cases/${encodeURIComponent(caseId)}/${path}`, body);
      cases.set(updated.case_id, updated);
      render();
      if (selected === caseId) showTimeline(caseId);
    } catch (error) {
      CG.showBanner(error.message);
    }
  }

  const stop = (fn) => (event) => { event.stopPropagation(); fn(); };
  const iso = (value) => (value ? new Date(value).toISOString() : null);

  function returnCell(c) {
    const day = el("input", { type: "date", class: "return-date", "aria-label": t("clinic.return_date") });
    const cert = el("input", { class: "certificate", maxlength: "200", placeholder: t("clinic.certificate") });
    return el("td", { class: "work", onclick: (e) => e.stopPropagation() }, day, cert,
      el("button", { type: "button", class: "small return", onclick: stop(() =>
        act(c.case_id, "return", { returned_on: day.value, certificate: cert.value })) }, t("clinic.return")));
  }

  function stepFields(step) {
    // The inputs each next step needs; their values become the request's body.
    const input = (cls, attrs) => el("input", { class: cls, ...attrs });
    if (step === "observe") {
      const place = el("select", { class: "place" }, ["room", "home"].map((p) => el("option", { value: p }, t(`clinic.place_${p}`))));
      const room = input("room", { maxlength: "64", placeholder: t("clinic.room") });
      const until = input("until", { type: "datetime-local", "aria-label": t("clinic.until") });
      return [[place, room, until], () => ({ place: place.value, room: room.value, until: iso(until.value) })];
    }
    if (step === "refer") {
      const hospital = input("hospital", { maxlength: "200", placeholder: t("clinic.hospital") });
      const at = input("transfer-at", { type: "datetime-local", "aria-label": t("clinic.transfer_at") });
      return [[hospital, at], () => ({ hospital: hospital.value, transfer_at: iso(at.value) })];
    }
    if (step === "release") {
      const reason = input("reason", { maxlength: "500", placeholder: t("clinic.release_reason") });
      return [[reason], () => ({ reason: reason.value })];
    }
    const note = input("note", { maxlength: "500", placeholder: t("clinic.note") });
    return [[note], () => ({ note: note.value })];
  }

  function workCell(c) {
    if (!page.can_act) return el("td", { class: "work" });
    if (c.status === "released") return c.suspended ? returnCell(c) : el("td", { class: "work" });
    const reading = el("input", { type: "number", step: "0.1", min: "30", max: "45", placeholder: "36.5",
      class: "measure-input", "aria-label": t("clinic.measure") });
    const fields = el("span", { class: "step-fields" });
    let body = () => ({});
    const steps = ["observe", "refer", "suspect", "confirm", "release"];
    const select = el("select", { class: "step-select", "aria-label": t("clinic.step"),
      onchange: () => { const [inputs, read] = stepFields(select.value); fields.replaceChildren(...inputs); body = read; } },
      steps.map((s) => el("option", { value: s }, t(`step.${s}`))));
    const [inputs, read] = stepFields(steps[0]);
    fields.replaceChildren(...inputs);
    body = read;
    return el("td", { class: "work", onclick: (e) => e.stopPropagation() },
      c.acknowledged_at ? null : el("button", { type: "button", class: "primary small ack",
        onclick: stop(() => act(c.case_id, "acknowledge")) }, t("clinic.ack")),
      reading,
      el("button", { type: "button", class: "small measure", onclick: stop(() => reading.value &&
        act(c.case_id, "measurement", { celsius: reading.value })) }, t("clinic.measure")),
      el("div", { class: "step" }, select, fields,
        el("button", { type: "button", class: "danger small apply", onclick: stop(() =>
          act(c.case_id, select.value, body())) }, t("clinic.apply"))));
  }

  function row(c) {
    const classes = [c.status];
    if (fresh.has(c.case_id)) classes.push("fresh");
    if (c.escalated_at && !c.acknowledged_at) classes.push("escalated");
    if (selected === c.case_id) classes.push("selected");
    return el("tr", { class: classes.join(" "), dataset: { caseId: c.case_id }, onclick: () => showTimeline(c.case_id) },
      el("td", { class: "time" }, CG.time(c.opened_at)),
      el("td", { class: "nowrap" }, c.gate),
      el("td", {}, CG.personText(c.person)),
      el("td", { class: "num hot nowrap" }, CG.celsius(c.celsius),
        c.clinic_celsius !== null && c.clinic_celsius !== undefined ? el("div", { class: "muted" }, `→ ${CG.celsius(c.clinic_celsius)}`) : null),
      el("td", {}, statusChip(c)),
      workCell(c));
  }

  function render() {
    const list = [...cases.values()].sort((a, b) => b.opened_at.localeCompare(a.opened_at));
    $("case-rows").replaceChildren(...list.map(row));
    $("no-cases").classList.toggle("hidden", list.length > 0);
  }

  async function showTimeline(caseId) {
    selected = caseId;
    const contactsCard = $("contacts-card");
    if (contactsCard) {
      contactsCard.classList.toggle("hidden", !cases.get(caseId)?.person);
      $("contacts").replaceChildren();
      $("isolate-contacts").classList.add("hidden");
      $("contacts-result").textContent = "";
    }
    $("timeline-case").textContent = caseId;
    try {
      const detail = await api("GET", `/api/v1/cases/${encodeURIComponent(caseId)}`);
      $("case-flags").replaceChildren(...flagChips(detail.case));
      $("timeline").replaceChildren(...detail.timeline.map((e) =>
        el("li", { dataset: { kind: e.kind } },
          el("span", { class: "time" }, CG.time(e.at)),
          el("strong", {}, t(`event.${e.kind}`)),
          el("span", {}, e.actor),
          el("span", { class: "muted" }, e.detail))));
    } catch (error) {
      CG.showBanner(error.message);
    }
    render();
  }

  function onEvents(events) {
    let alarm = false;
    for (const e of events) {
      if (e.type === "alert") {
        if (!cases.has(e.case_id)) {
          cases.set(e.case_id, { case_id: e.case_id, status: "open", gate: e.gate, opened_at: e.ts,
            person: e.person, celsius: e.celsius, acknowledged_at: null, acknowledged_by: null,
            clinic_celsius: null, closed_at: null, outcome: null, escalated_at: null,
            origin: "fever", isolating: true, suspended: false });
          fresh.add(e.case_id);
          alarm = true;
        }
      } else if (e.type === "case" || e.type === "escalation") {
        cases.set(e.case_id, e);
        if (e.type === "escalation") alarm = true;
      }
    }
    render();
    if (alarm) CG.alarm();
    if (selected && events.some((e) => e.case_id === selected)) showTimeline(selected);
  }

  const toggle = $("sound-toggle");
  toggle.addEventListener("click", () => {
    // One click lets the browser play the alarm later without another gesture.
    const audio = $("alarm");
    audio.muted = true;
    audio.play().then(() => { audio.pause(); audio.muted = false; toggle.textContent = t("sound.on"); })
      .catch(() => { audio.muted = false; });
  });

  // By hand: a case's contacts, one person, or a list (all or nothing, every bad row shown).
  const caseUrl = (id, rest) => `/api/v1/cases/${encodeURIComponent(id)}${rest}`;
  if ($("contacts-load")) {
    $("contacts-load").addEventListener("click", async () => {
      try {
        const trace = await api("GET", caseUrl(selected, "/contacts"));
        const people = trace.contacts.filter((c) => c.kind && !["visitor", "pass"].includes(c.kind));
        $("contacts").replaceChildren(...people.map((c) => el("li", { dataset: { who: c.who } },
          el("label", {}, el("input", { type: "checkbox", value: c.who, checked: true }),
            ` ${c.name || ""} · ${c.who} · ${c.gates.join(", ")}`))));
        $("isolate-contacts").classList.toggle("hidden", people.length === 0);
        $("contacts-result").textContent = people.length ? "" : t("audit.no_contacts");
      } catch (error) { CG.showBanner(error.message); }
    });
    $("isolate-contacts").addEventListener("click", async () => {
      const ids = [...$("contacts").querySelectorAll("input:checked")].map((box) => box.value);
      if (!ids.length) return;
      try {
        const result = await api("POST", "/api/v1/cases/many", { person_ids: ids, origin: "close_contact", note: selected });
        $("contacts-result").textContent = t("clinic.isolated", { n: result.opened.length });
      } catch (error) { CG.showBanner(error.message); }
    });
    $("isolate-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const opened = await api("POST", "/api/v1/cases", { person_id: $("isolate-person").value.trim(),
          origin: $("isolate-origin").value, note: $("isolate-note").value });
        cases.set(opened.case_id, opened);
        render();
      } catch (error) { CG.showBanner(error.message); }
    });
    $("list-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = new FormData();
      body.append("file", $("list-file").files[0]);
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      const response = await fetch("/api/v1/cases/list?origin=authority", {
        method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }, body });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) { $("list-summary").textContent = data.message || `HTTP ${response.status}`; return; }
      $("list-summary").textContent = data.written ? t("clinic.isolated", { n: data.opened.length + data.joined.length })
        : `${t("error.list_has_problems")} (${data.problem_count})`;
      const table = $("list-problems");
      table.classList.toggle("hidden", data.problems.length === 0);
      table.querySelector("tbody").replaceChildren(...data.problems.map((p) =>
        el("tr", {}, el("td", { class: "num" }, p.line), el("td", {}, p.value), el("td", {}, p.reason))));
    });
  }

  render();
  CG.live("view=clinic", onEvents);
});

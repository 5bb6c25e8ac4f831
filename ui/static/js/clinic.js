// The clinic: fever alerts arrive live with a sound; acknowledge, re-measure, close.
"use strict";

CG.onReady(() => {
  const { page, t, el, api } = CG;
  const $ = (id) => document.getElementById(id);
  const cases = new Map(page.cases.map((c) => [c.case_id, c]));
  const fresh = new Set();
  let selected = null;

  function statusChip(c) {
    if (c.status === "closed") return el("span", { class: "chip muted status" }, `${t("status.closed")}: ${t(`outcome.${c.outcome}`)}`);
    if (c.escalated_at && !c.acknowledged_at) return el("span", { class: "chip bad status" }, t("status.escalated"));
    if (c.status === "acknowledged") return el("span", { class: "chip ok status" }, `${t("status.acknowledged")} · ${c.acknowledged_by || ""}`);
    return el("span", { class: "chip bad status" }, t("status.open"));
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

  function workCell(c) {
    if (!page.can_act || c.status === "closed") return el("td", { class: "work" });
    const reading = el("input", { type: "number", step: "0.1", min: "30", max: "45", placeholder: "36.5",
      class: "measure-input", "aria-label": t("clinic.measure") });
    const outcome = el("select", { class: "outcome-select", "aria-label": t("clinic.outcome") },
      ["released", "isolation_room", "referred_hospital"].map((o) => el("option", { value: o }, t(`outcome.${o}`))));
    const note = el("input", { class: "note", maxlength: "500", placeholder: t("clinic.note") });
    const stop = (fn) => (event) => { event.stopPropagation(); fn(); };
    return el("td", { class: "work", onclick: (e) => e.stopPropagation() },
      c.acknowledged_at ? null : el("button", { type: "button", class: "primary small ack",
        onclick: stop(() => act(c.case_id, "acknowledge")) }, t("clinic.ack")),
      reading,
      el("button", { type: "button", class: "small measure", onclick: stop(() => reading.value &&
        act(c.case_id, "measurement", { celsius: reading.value })) }, t("clinic.measure")),
      outcome, note,
      el("button", { type: "button", class: "danger small close", onclick: stop(() =>
        act(c.case_id, "close", { outcome: outcome.value, note: note.value })) }, t("clinic.close")));
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
    $("timeline-case").textContent = caseId;
    try {
      const detail = await api("GET", `/api/v1/cases/${encodeURIComponent(caseId)}`);
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
            clinic_celsius: null, closed_at: null, outcome: null, escalated_at: null });
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

  render();
  CG.live("view=clinic", onEvents);
});

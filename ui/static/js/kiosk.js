// The kiosk of one gate: each decision big and in colour, lane actions, gate health.
"use strict";

CG.onReady(() => {
  const { page, t, el, api } = CG;
  const gate = page.gate;
  const RECENT_MAX = 12;
  const SHOWN_MAX = 2000;
  const $ = (id) => document.getElementById(id);
  let current = null; // the decision on screen
  let gateView = page.detail.gate;
  const recent = [...page.detail.recent];
  const groups = new Map(); // vehicle group_id -> {plate, occupants, members: Map}

  // When each decision reached the screen (ms since the epoch): read by bench/web_latency.py.
  window.cgShown = new Map();

  function showDecision(d, loud) {
    current = d;
    const panel = $("decision");
    panel.className = `decision ${d.decision}`;
    panel.dataset.decision = d.decision;
    panel.dataset.eventId = d.event_id;
    $("outcome").textContent = t(`decision.${d.decision}`);
    $("person-name").textContent = d.person ? d.person.name : t("person.unknown");
    $("person-kind").textContent = d.person ? t(`kind.${d.person.kind}`) : "";
    $("person-id").textContent = d.person ? d.person.masked_id : "";
    $("temperature").textContent = d.celsius === null ? "" : CG.celsius(d.celsius);
    $("reasons").textContent = CG.reasons(d.reasons);
    const where = [CG.time(d.decided_at), d.direction ? t(`direction.${d.direction}`) : "", d.sensor || ""];
    $("decision-meta").textContent = where.filter(Boolean).join(" · ");
    for (const id of ["no-mask", "remeasure-submit"]) {
      const button = $(id);
      if (button) button.disabled = false;
    }
    if (loud && d.decision === "isolate") CG.alarm();
  }

  function recentItem(d) {
    // A click puts an earlier passage back on screen, to re-measure or mark it.
    return el("li", { dataset: { eventId: d.event_id }, onclick: () => showDecision(d, false) },
      el("span", { class: "time" }, CG.time(d.decided_at)),
      el("span", { class: `tag ${d.decision}` }, t(`decision.${d.decision}`)),
      el("span", {}, d.person ? d.person.name : t("person.unknown")),
      el("span", { class: "muted" }, CG.celsius(d.celsius)),
      el("span", { class: "muted" }, CG.reasons(d.reasons)));
  }

  function renderRecent() {
    $("recent").replaceChildren(...recent.map(recentItem));
  }

  function trackVehicle(d) {
    if (!d.vehicle) return;
    let group = groups.get(d.vehicle.group_id);
    if (!group) {
      group = { plate: d.vehicle.plate, occupants: d.vehicle.occupants, members: new Map() };
      groups.set(d.vehicle.group_id, group);
      groups.delete("announced");  // the vehicle this kiosk announced now has its passages
    }
    // A re-check replaces the passage it re-checks; otherwise one entry per person (or event).
    // A guard's view masks person ids: the name and ID-number digits keep people apart.
    let key = d.person ? `${d.person.id}|${d.person.masked_id}|${d.person.name}` : d.event_id;
    if (d.recheck_of) {
      for (const [k, m] of group.members) if (m.event_id === d.recheck_of) key = k;
    }
    group.members.set(key, d);
    renderVehicle(group);
  }

  function renderVehicle(group) {
    const members = [...group.members.values()];
    const admitted = members.filter((m) => m.decision === "admit").length;
    const clear = admitted === group.occupants && members.length === group.occupants;
    const title = $("vehicle-title");
    title.textContent = `${t("kiosk.vehicle", { plate: group.plate, done: admitted, total: group.occupants })} — ${
      clear ? t("kiosk.vehicle_clear") : t("kiosk.vehicle_blocked")}`;
    title.className = clear ? "clear" : "blocked";
    $("vehicle-occupants").replaceChildren(...members.map((m) =>
      el("li", { class: m.decision === "admit" ? "" : "blocking" },
        el("span", { class: `tag ${m.decision}` }, t(`decision.${m.decision}`)),
        el("span", {}, m.person ? m.person.name : t("person.unknown")),
        el("span", {}, CG.reasons(m.reasons)))));
    $("vehicle").classList.remove("hidden");
  }

  function onDecision(d) {
    showDecision(d, true);
    recent.unshift(d);
    recent.length = Math.min(recent.length, RECENT_MAX);
    trackVehicle(d);
    window.cgShown.set(d.event_id, performance.timeOrigin + performance.now());
    if (window.cgShown.size > SHOWN_MAX) window.cgShown.delete(window.cgShown.keys().next().value);
  }

  function ageText(seconds) {
    if (seconds < 90) return t("gate.age_s", { n: Math.max(0, Math.round(seconds)) });
    if (seconds < 90 * 60) return t("gate.age_min", { n: Math.round(seconds / 60) });
    return t("gate.age_h", { n: Math.round(seconds / 3600) });
  }

  function renderGate() {
    const state = $("gate-state");
    const online = gateView.online;
    state.className = `chip ${online ? "ok" : online === false ? "bad" : "muted"}`;
    state.textContent = online ? t("gate.online") : online === false ? t("gate.offline") : t("gate.unknown");
    $("offline-banner").classList.toggle("hidden", online !== false);
    const snapAge = gateView.snapshot ? (Date.now() - Date.parse(gateView.snapshot.taken_at)) / 1000 : null;
    $("offline-detail").textContent = online === false
      ? t("gate.offline_detail", { outbox: gateView.outbox, age: snapAge === null ? "—" : ageText(snapAge) })
      : "";
    $("locked-banner").classList.toggle("hidden", !gateView.locked);
    $("lock-state").classList.toggle("hidden", !gateView.locked);
    $("screening-state").classList.toggle("hidden", gateView.screening !== "handheld");
    const toggle = $("handheld-toggle");
    if (toggle) toggle.textContent = t(gateView.screening === "handheld" ? "kiosk.handheld_auto" : "kiosk.handheld_on");
    const vehicleForm = $("vehicle-form");
    if (vehicleForm) vehicleForm.classList.toggle("hidden", gateView.lane !== "vehicle");
    $("devices").replaceChildren(...gateView.devices.map((dev) =>
      el("li", {}, el("span", {}, dev.name),
        el("span", { class: `chip ${dev.state === "ok" ? "ok" : dev.state === "degraded" ? "warn" : "bad"}` },
          t(`device.${dev.state}`), dev.detail ? ` ${dev.detail}` : ""))));
    const snap = gateView.snapshot;
    $("snapshot").textContent = snap
      ? `v${snap.version} · ${snap.checksum.slice(0, 12)} · ${CG.time(snap.taken_at)}`
      : t("gate.snapshot_none");
    $("outbox").textContent = String(gateView.outbox);
  }

  function onStatus(s) {
    gateView = {
      ...gateView,
      online: s.online,
      mode: s.mode,
      screening: s.screening,
      lane: s.lane,
      devices: Object.entries(s.devices).map(([name, h]) => ({ name, state: h.state, detail: h.detail })),
      snapshot: s.snapshot,
      outbox: s.outbox,
    };
    renderGate();
  }

  function onCommand(c) {
    if (c.command === "lockdown") gateView = { ...gateView, locked: true };
    if (c.command === "release") gateView = { ...gateView, locked: false };
    renderGate();
  }

  function onEvents(events) {
    let last = null;
    for (const e of events) {
      if (e.type === "decision") { onDecision(e); last = e; }
      else if (e.type === "status") onStatus(e);
      else if (e.type === "command") onCommand(e);
    }
    if (last) renderRecent();
  }

  async function act(path, body) {
    const result = $("action-result");
    try {
      await api("POST", `/api/v1/gates/${gate}/${path}`, body);
      result.textContent = `${t("kiosk.sent")} ${CG.time(new Date().toISOString())}`;
      result.className = "muted";
      return true;
    } catch (error) {
      result.textContent = error.message;
      result.className = "error";
      return false;
    }
  }

  function announced(plate, occupants) {
    // Before its first occupant is decided: the vehicle on screen, nobody admitted yet.
    const group = { plate, occupants, members: new Map() };
    groups.set("announced", group);
    renderVehicle(group);
  }

  if (page.can_act) {
    $("vehicle-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const plate = $("vehicle-plate").value.trim();
      const occupants = Number($("vehicle-count").value);
      if (await act("vehicle", { plate, occupants })) {
        announced(plate, occupants);
        $("vehicle-plate").value = "";
      }
    });
    $("no-mask").addEventListener("click", () => current && act("no-mask", { event_id: current.event_id }));
    $("remeasure-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!current) return;
      const input = $("remeasure-celsius");
      if (await act("remeasure", { event_id: current.event_id, celsius: input.value })) input.value = "";
    });
    const toggle = $("handheld-toggle");  // the gate's own kiosk: the guard measures by hand
    if (toggle) toggle.addEventListener("click", () =>
      act("screening", { choice: gateView.screening === "handheld" ? "auto" : "handheld" }));
    const handheld = $("handheld-form");
    if (handheld) handheld.addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = $("handheld-celsius");
      if (await act("handheld", { celsius: input.value })) input.value = "";
    });
    const override = $("override-form");
    if (override) override.addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = $("override-reason");
      if (!current) {  // an override is for the passage on screen, never for nobody
        $("action-result").textContent = t("kiosk.override_needs_passage");
        $("action-result").className = "error";
        return;
      }
      if (await act("override", { reason: input.value, event_id: current.event_id })) input.value = "";
    });
    $("symptoms-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const boxes = [...$("symptoms-form").querySelectorAll("input[name=symptom]:checked")];
      if (!current) {  // symptoms go with the person on screen
        $("action-result").textContent = t("kiosk.override_needs_passage");
        $("action-result").className = "error";
        return;
      }
      if (!boxes.length) return;
      if (await act("symptoms", { event_id: current.event_id, symptoms: boxes.map((b) => b.value) })) {
        for (const box of boxes) box.checked = false;
      }
    });
    $("incident-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const note = $("incident-note");
      const body = { kind: $("incident-kind").value, note: note.value };
      if (current) body.event_id = current.event_id;
      if (await act("incidents", body)) note.value = "";
    });
  }

  // The look-up: a person without phone or card, found by number or name, sent with a reading.
  if (page.can_act) {
    let picked = null;
    const said = (text, ok) => { $("lookup-result").textContent = text; $("lookup-result").className = ok ? "muted" : "error"; };
    $("lookup-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      picked = null;
      $("manual-form").classList.add("hidden");
      try {
        const q = encodeURIComponent($("lookup-q").value.trim());
        const found = await api("GET", `/api/v1/gates/${gate}/lookup?q=${q}`);
        said(found.length ? "" : t("kiosk.lookup_none"), true);
        $("lookup-results").replaceChildren(...found.map((p) => {
          const photo = p.has_photo
            ? el("img", { src: `/api/v1/gates/${gate}/lookup/photo?ref=${encodeURIComponent(p.ref)}`, alt: "", width: 64 })
            : null;
          return el("li", { class: "lookup-person" },
            el("button", { type: "button", class: "pick", onclick: () => {
              picked = p;
              $("manual-form").classList.remove("hidden");
              said(`${p.name} ${p.masked_id}`, true);
            } }, photo, el("span", { class: "name" }, p.name), " ",
            el("span", {}, t(`kind.${p.kind}`)), " ", el("span", { class: "masked" }, `${p.masked_person_id} ${p.masked_id}`),
            " ", el("span", { class: "muted" }, [p.unit, p.class_name].filter(Boolean).join(" "))));
        }));
      } catch (error) { said(error.message, false); }
    });
    $("manual-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!picked) return;
      try {
        await api("POST", `/api/v1/gates/${gate}/manual-passage`, { ref: picked.ref, celsius: $("manual-celsius").value });
        said(`${t("kiosk.sent")} ${picked.name}`, true);
        $("manual-celsius").value = "";
        $("manual-form").classList.add("hidden");
        $("lookup-results").replaceChildren();
        picked = null;
      } catch (error) { said(error.message, false); }
    });
  }

  const tick = () => { $("clock").textContent = new Date().toLocaleTimeString("zh-CN", { hour12: false }); };
  tick();
  setInterval(tick, 1000);
  renderGate();
  renderRecent();
  CG.live(`view=kiosk&gate=${encodeURIComponent(gate)}`, onEvents, (hello) => {
    for (const s of hello.statuses) onStatus(s);
  });
});

// The security office: every gate live, passages, denials, fever cases, commands.
"use strict";

CG.onReady(() => {
  const { page, t, el, api } = CG;
  const $ = (id) => document.getElementById(id);
  const LIVE_MAX = 30;
  const DENIALS_MAX = 20;
  const COMMANDS_MAX = 15;
  const REFRESH_MS = 60000;
  const LAG_MAX = 5000;
  const view = page.dashboard;
  const gates = new Map(view.gates.map((g) => [g.gate, g]));
  const live = [...view.live];
  const denials = [...view.denials];
  const commands = [...view.commands];
  const cases = new Map(view.cases.map((c) => [c.case_id, c]));
  const dirty = new Set(["gates", "live", "denials", "commands", "cases", "incidents"]);
  let frame = 0;

  // Figures for bench/web_latency.py: events seen and decision lag (now - decided_at).
  window.cgStats = { events: 0, batches: 0, lags: [] };

  function schedule(...parts) {
    for (const p of parts) dirty.add(p);
    if (!frame) frame = requestAnimationFrame(render);
  }

  function passageItem(d) {
    return el("li", { dataset: { eventId: d.event_id } },
      el("span", { class: "time" }, CG.time(d.decided_at)),
      el("span", { class: "chip" }, d.gate),
      el("span", { class: `tag ${d.decision}` }, t(`decision.${d.decision}`)),
      el("span", {}, d.person ? d.person.name : t("person.unknown")),
      el("span", { class: "muted" }, CG.celsius(d.celsius)),
      el("span", { class: "muted" }, CG.reasons(d.reasons)));
  }

  function commandItem(c) {
    return el("li", {},
      el("span", { class: "time" }, CG.time(c.at || c.ts)),
      el("span", { class: "chip" }, c.gate),
      el("strong", {}, t(`cmd.${c.command}`)),
      el("span", {}, c.issued_by),
      el("span", { class: "muted" }, c.reason || ""));
  }

  function stateChips(g) {
    const chips = [];
    if (g.online === true) chips.push(el("span", { class: "chip ok" }, t("gate.online")));
    else if (g.online === false) chips.push(el("span", { class: "chip bad" }, t("gate.offline")));
    else chips.push(el("span", { class: "chip muted" }, t("gate.unknown")));
    if (g.locked) chips.push(el("span", { class: "chip bad locked-chip" }, t("gate.locked")));
    if (g.screening === "handheld") chips.push(el("span", { class: "chip warn handheld-chip" }, t("gate.handheld")));
    if (g.outbox) chips.push(el("span", { class: "chip warn" }, `${t("gate.outbox")} ${g.outbox}`));
    return chips;
  }

  function commandButton(gate, name, label, cls) {
    return el("button", { type: "button", class: `small ${cls || ""}`, dataset: { gate, command: name },
      onclick: () => askCommand(gate, name) }, label);
  }

  function gateRow(g) {
    const actions = page.can_command ? [
      g.locked ? commandButton(g.gate, "release", t("dash.release"), "primary")
        : commandButton(g.gate, "lockdown", t("dash.lockdown"), "danger"),
      commandButton(g.gate, "open", t("dash.open")),
      commandButton(g.gate, "sync", t("dash.sync")),
    ] : [];
    const cls = g.locked ? "locked" : g.online === false ? "offline" : "";
    return el("tr", { class: cls, dataset: { gate: g.gate } },
      el("td", {}, el("strong", {}, g.gate)),
      el("td", { class: "state" }, stateChips(g)),
      el("td", {}, g.devices.map((d) =>
        el("span", { class: `chip ${d.state === "ok" ? "ok" : d.state === "degraded" ? "warn" : "bad"}`, title: d.detail },
          `${d.name}: ${t(`device.${d.state}`)}`))),
      el("td", { class: "muted" }, g.snapshot ? `v${g.snapshot.version}` : "—"),
      el("td", { class: "num today" }, String(g.today)),
      el("td", { class: "num hour" }, String(g.last_hour)),
      el("td", { class: "actions-cell" }, actions));
  }

  const incidents = page.incidents || [];
  function incidentItem(i) {
    return el("li", { dataset: { incidentId: i.id } },
      el("span", { class: "time" }, CG.time(i.at)),
      el("span", { class: "chip" }, i.gate),
      el("span", { class: "chip bad" }, t(`incident.${i.kind}`)),
      el("span", {}, i.note),
      el("span", { class: "muted" }, i.by));
  }

  function caseItem(c) {
    return el("li", { dataset: { caseId: c.case_id } },
      el("span", { class: "time" }, CG.time(c.opened_at)),
      el("span", { class: "chip" }, c.gate),
      el("span", {}, c.person ? c.person.name : t("person.unknown")),
      el("span", { class: "hot" }, CG.celsius(c.celsius)),
      el("span", { class: `chip ${c.escalated_at && !c.acknowledged_at ? "bad" : "muted"}` },
        c.escalated_at && !c.acknowledged_at ? t("status.escalated") : t(`status.${c.status}`)));
  }

  function render() {
    frame = 0;
    if (dirty.has("gates")) {
      const rows = [...gates.values()].sort((a, b) => a.gate.localeCompare(b.gate)).map(gateRow);
      $("gate-rows").replaceChildren(...rows);
    }
    if (dirty.has("live")) $("live").replaceChildren(...live.map(passageItem));
    if (dirty.has("denials")) $("denials").replaceChildren(...denials.map(passageItem));
    if (dirty.has("commands")) $("commands").replaceChildren(...commands.map(commandItem));
    if (dirty.has("incidents")) $("incidents").replaceChildren(...incidents.map(incidentItem));
    if (dirty.has("cases")) {
      const open = [...cases.values()].filter((c) => c.status !== "released")
        .sort((a, b) => b.opened_at.localeCompare(a.opened_at));
      $("cases").replaceChildren(...open.map(caseItem));
      const escalated = open.filter((c) => c.escalated_at && !c.acknowledged_at);
      $("escalation-list").replaceChildren(...escalated.map(caseItem));
      $("escalations").classList.toggle("hidden", escalated.length === 0);
    }
    dirty.clear();
  }

  function gateOf(name) {
    let g = gates.get(name);
    if (!g) {
      g = { gate: name, online: null, mode: null, devices: [], snapshot: null, outbox: 0,
        locked: false, locked_by: null, locked_at: null, today: 0, last_hour: 0 };
      gates.set(name, g);
    }
    return g;
  }

  function onEvents(events) {
    const stats = window.cgStats;
    stats.batches += 1;
    const now = Date.now();
    for (const e of events) {
      stats.events += 1;
      if (e.type === "decision") {
        const g = gateOf(e.gate);
        g.today += 1;
        g.last_hour += 1;
        live.unshift(e);
        if (e.decision === "deny" || e.decision === "isolate") denials.unshift(e);
        if (e.decided_at) {
          stats.lags.push([now, now - Date.parse(e.decided_at)]);
          if (stats.lags.length > LAG_MAX) stats.lags.splice(0, stats.lags.length - LAG_MAX);
        }
        schedule("gates", "live", "denials");
      } else if (e.type === "status") {
        const g = gateOf(e.gate);
        g.online = e.online;
        g.mode = e.mode;
        g.screening = e.screening;
        g.outbox = e.outbox;
        g.snapshot = e.snapshot;
        g.devices = Object.entries(e.devices).map(([name, h]) => ({ name, state: h.state, detail: h.detail }));
        schedule("gates");
      } else if (e.type === "command") {
        const g = gateOf(e.gate);
        if (e.command === "lockdown") g.locked = true;
        if (e.command === "release") g.locked = false;
        commands.unshift(e);
        schedule("gates", "commands");
      } else if (e.type === "alert") {
        if (!cases.has(e.case_id)) {
          cases.set(e.case_id, { case_id: e.case_id, status: "open", gate: e.gate, opened_at: e.ts,
            person: e.person, celsius: e.celsius, acknowledged_at: null, escalated_at: null });
        }
        schedule("cases");
      } else if (e.type === "incident") {
        incidents.unshift(e);
        incidents.length = Math.min(incidents.length, 100);
        CG.alarm();
        schedule("incidents");
      } else if (e.type === "case" || e.type === "escalation") {
        cases.set(e.case_id, e);
        if (e.type === "escalation") CG.alarm();
        schedule("cases");
      }
    }
    live.length = Math.min(live.length, LIVE_MAX);
    denials.length = Math.min(denials.length, DENIALS_MAX);
    commands.length = Math.min(commands.length, COMMANDS_MAX);
  }

  // Confirm a command with an optional reason in a dialog.
  const dialog = $("command-dialog");
  let pending = null;
  function askCommand(gate, name) {
    pending = { gate, name };
    $("command-title").textContent = `${gate}: ${t(`cmd.${name}`)}`;
    $("command-reason").value = "";
    dialog.showModal();
  }
  $("command-cancel").addEventListener("click", () => dialog.close());
  $("command-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const { gate, name } = pending;
    dialog.close();
    try {
      const sent = await api("POST", `/api/v1/gates/${gate}/commands`,
        { command: name, reason: $("command-reason").value });
      const g = gateOf(gate);
      if (name === "lockdown") g.locked = true;
      if (name === "release") g.locked = false;
      schedule("gates");
      document.body.dataset.lastCommand = sent.command.command_id;
    } catch (error) {
      CG.showBanner(error.message);
    }
  });

  // Counts of the last hour age: refresh them from the server now and then.
  setInterval(async () => {
    try {
      for (const fresh of await api("GET", "/api/v1/gates")) {
        const g = gateOf(fresh.gate);
        Object.assign(g, { today: fresh.today, last_hour: fresh.last_hour, locked: fresh.locked });
      }
      schedule("gates");
    } catch (_error) { /* the live banner already says what is wrong */ }
  }, REFRESH_MS);

  render();
  CG.live("view=dashboard", onEvents, (hello) => onEvents(hello.statuses));
});

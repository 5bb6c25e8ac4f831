// The daily check-in (晨午检): a class's sheet, entered for a slot at once; reminders.
"use strict";

CG.onReady(() => {
  const { page, t, el, api } = CG;
  const $ = (id) => document.getElementById(id);
  let sheet = page.sheet;

  function reading(r) {
    if (!r) return el("span", { class: "muted" }, "—");
    const bad = r.case_id ? "hot" : "";
    return el("span", { class: bad }, CG.celsius(r.celsius), r.symptoms.length ? ` · ${r.symptoms.map((s) => t(`symptom.${s}`)).join("、")}` : "");
  }

  function row(r) {
    const cells = [el("td", {}, `${r.name} · ${r.person_id}`), el("td", { class: "morning" }, reading(r.morning)),
      el("td", { class: "noon" }, reading(r.noon))];
    if (page.can_act) {
      cells.push(el("td", { class: "enter" },
        el("input", { type: "number", step: "0.1", min: "34", max: "43", class: "celsius", placeholder: "36.5" }),
        el("label", {}, el("input", { type: "checkbox", class: "cough" }), ` ${t("symptom.cough")}`)));
    }
    return el("tr", { dataset: { personId: r.person_id } }, ...cells);
  }

  function render() { $("sheet-rows").replaceChildren(...sheet.rows.map(row)); }

  // data-state says when the rows shown are the chosen unit's (a fast typist, or a test,
  // must not fill rows that a slower answer is about to replace).
  let asked = 0;
  async function load() {
    const mine = ++asked;
    $("sheet-rows").dataset.state = "loading";
    try {
      const answer = await api("GET", `/api/v1/checkins?unit=${encodeURIComponent($("unit").value)}&day=${$("day").value}`);
      if (mine !== asked) return;  // a later choice is on its way
      sheet = answer;
      render();
      $("sheet-rows").dataset.unit = sheet.unit;
      $("sheet-rows").dataset.state = "ready";
    } catch (error) { CG.showBanner(error.message); }
  }

  $("unit").addEventListener("change", load);
  $("day").addEventListener("change", load);
  if (page.can_act) {
    $("save-class").addEventListener("click", async () => {
      const entries = [...document.querySelectorAll("#sheet-rows tr")].map((tr) => ({
        person_id: tr.dataset.personId,
        celsius: tr.querySelector("input.celsius").value,
        symptoms: tr.querySelector("input.cough").checked ? ["cough"] : [],
      })).filter((e) => e.celsius !== "");
      if (!entries.length) return;
      try {
        const done = await api("POST", "/api/v1/checkins/class", { slot: $("slot").value, entries });
        $("checkin-result").textContent = t("checkin.saved", { n: done.length, cases: done.filter((d) => d.case_id).length });
        $("checkin-result").className = "muted";
        await load();
      } catch (error) {
        $("checkin-result").textContent = [error.message, error.detail].filter(Boolean).join(": ");
        $("checkin-result").className = "error";
      }
    });
    for (const button of document.querySelectorAll("button.remind")) {
      button.addEventListener("click", async () => {
        try {
          const sent = await api("POST", `/api/v1/checkins/remind?slot=${button.dataset.slot}`);
          button.textContent = t("checkin.reminded", { n: sent.missing });
          button.disabled = true;
        } catch (error) { CG.showBanner(error.message); }
      });
    }
  }
  render();
  $("sheet-rows").dataset.unit = sheet.unit;
  $("sheet-rows").dataset.state = "ready";
});

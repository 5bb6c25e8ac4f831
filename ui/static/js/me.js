// My code: fetch a freshly signed code every refresh_s seconds and show it as a QR.
(() => {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const refreshMs = Math.max(1, Number(data.refresh_s || 30)) * 1000;
  const qr = document.getElementById("me-qr");
  const status = document.getElementById("me-status");
  async function refresh() {
    try {
      const response = await fetch("/me/code", { credentials: "same-origin", cache: "no-store" });
      if (response.status === 401) { window.location.assign("/me"); return; }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const code = await response.json();
      qr.src = code.qr;
      qr.dataset.code = code.code;
      qr.dataset.issuedAt = code.issued_at;
      document.getElementById("me-name").textContent = code.name;
      const photo = document.getElementById("me-photo");
      if (code.photo) { photo.src = code.photo; photo.classList.remove("hidden"); }
      document.getElementById("me-unit").textContent = code.unit;
      document.getElementById("me-expires").textContent = CG.t("me.valid_until", { at: code.expires_at.slice(11, 19) });
      status.textContent = CG.t(`me.status.${code.status}`, { at: code.status_at || "" });
      status.dataset.status = code.status;
      document.body.dataset.codeState = "fresh";
    } catch (error) {
      document.body.dataset.codeState = "stale";
      status.textContent = CG.t("me.offline");
    }
  }
  // Only while the page is seen: a phone in a pocket signs nothing (and is fresh on return).
  refresh();
  setInterval(() => { if (document.visibilityState !== "hidden") refresh(); }, refreshMs);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refresh();
  });
})();

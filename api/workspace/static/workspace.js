// o2c workspace: page switching, zoom, box highlighting, live cash remaining, confirmations, keyboard shortcuts.
// Plain JavaScript, no dependencies; every page works without it (forms post normally).
(function () {
  "use strict";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // --- confirmation before anything that posts money -------------------------------------------------------
  const dialog = $("#confirm-dialog");
  let pending = null;
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.dataset.confirm || form.dataset.confirmed === "1" || !dialog || !dialog.showModal) return;
    const outcome = form.querySelector("[name=outcome]");
    if (form.dataset.confirmUnless && outcome && outcome.value === form.dataset.confirmUnless) return;
    event.preventDefault();
    pending = { form: form, submitter: event.submitter || null };
    $("#confirm-text").textContent = form.dataset.confirm;
    dialog.showModal();
    $("#confirm-ok").focus();
  });
  if (dialog) {
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "ok" && pending) {
        pending.form.dataset.confirmed = "1";
        if (pending.form.requestSubmit) pending.form.requestSubmit(pending.submitter || undefined);
        else pending.form.submit();
      }
      pending = null;
    });
  }

  // --- the page image: switch pages, zoom, highlight a field's box ---------------------------------------------
  const img = $("#page-image");
  let zoom = 1;
  function showPage(page, highlight) {
    if (!img) return;
    const pages = parseInt(img.dataset.pages, 10) || 1;
    page = Math.min(Math.max(1, page), pages);
    img.dataset.page = page;
    img.src = img.dataset.base + page + ".png" + (highlight ? "?highlight=" + encodeURIComponent(highlight) : "");
    img.alt = "Page " + page + " with the fields read outlined";
    $("#page-no").textContent = page;
  }
  function setZoom(value) {
    zoom = Math.min(4, Math.max(0.5, value));
    if (img) img.style.width = (zoom * 100) + "%";
    const label = $("#zoom-label");
    if (label) label.textContent = Math.round(zoom * 100) + "%";
  }
  const on = (id, fn) => { const el = document.getElementById(id); if (el) el.addEventListener("click", fn); };
  on("page-prev", () => showPage(parseInt(img.dataset.page, 10) - 1));
  on("page-next", () => showPage(parseInt(img.dataset.page, 10) + 1));
  on("zoom-in", () => setZoom(zoom + 0.25));
  on("zoom-out", () => setZoom(zoom - 0.25));
  on("zoom-fit", () => setZoom(1));
  $$(".show-box").forEach((b) => b.addEventListener("click", () => {
    $$("tr[data-testid=field]").forEach((r) => r.classList.toggle("current", r.contains(b)));
    showPage(parseInt(b.dataset.page, 10), b.dataset.path);
  }));

  // --- fields: keyboard walk, highlight the current one on the page -------------------------------------------
  const rows = $$("tr[data-testid=field]");
  function focusField(index) {
    if (!rows.length) return;
    index = (index + rows.length) % rows.length;
    rows.forEach((r) => r.classList.remove("current"));
    const row = rows[index];
    row.classList.add("current");
    const input = row.querySelector(".field-input");
    if (input) input.focus();
    row.scrollIntoView({ block: "nearest" });
    if (row.dataset.page) showPage(parseInt(row.dataset.page, 10), row.dataset.path);
  }
  const currentIndex = () => rows.findIndex((r) => r.contains(document.activeElement));
  rows.forEach((row, i) => {
    const input = row.querySelector(".field-input");
    if (input) input.addEventListener("focus", () => {
      rows.forEach((r) => r.classList.remove("current"));
      row.classList.add("current");
    });
    if (input && row.dataset.page) input.addEventListener("change", () => showPage(parseInt(row.dataset.page, 10), row.dataset.path));
    void i;
  });

  // --- apply cash: remaining amount, live ---------------------------------------------------------------------
  const cash = $("#cash-form");
  function cents(text) {
    const v = String(text || "").replace(/,/g, "").trim();
    if (!/^-?\d+(\.\d{0,4})?$/.test(v)) return v === "" ? 0 : NaN;
    const [whole, frac] = v.split(".");
    const sign = whole.startsWith("-") ? -1 : 1;
    return sign * (Math.abs(parseInt(whole, 10)) * 100 + parseInt(((frac || "") + "00").slice(0, 2), 10));
  }
  const fmt = (c) => (c < 0 ? "-" : "") + (Math.abs(c) / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  function recompute() {
    if (!cash) return;
    const total = cents(cash.dataset.payment);
    let applied = 0, bad = false;
    $$(".apply-amount", cash).forEach((i) => { const c = cents(i.value); if (Number.isNaN(c)) bad = true; else applied += c; });
    const remaining = total - applied;
    const out = $("#remaining");
    $("#applied").textContent = bad ? "—" : fmt(applied);
    out.textContent = bad ? "not a number" : fmt(remaining);
    out.classList.toggle("negative", bad || remaining < 0);
    out.classList.toggle("zero", !bad && remaining === 0);
  }
  if (cash) {
    cash.addEventListener("input", recompute);
    $$(".fill", cash).forEach((b) => b.addEventListener("click", () => {
      const target = document.getElementById(b.dataset.target);
      target.value = "";
      recompute();
      const remaining = cents(cash.dataset.payment) - $$(".apply-amount", cash).reduce((s, i) => s + (cents(i.value) || 0), 0);
      const open = cents(b.dataset.open);
      target.value = (Math.max(0, Math.min(open, remaining)) / 100).toFixed(2);
      recompute();
      target.focus();
    }));
    const customer = $("#cash-customer");
    if (customer) customer.addEventListener("change", () => $$(".mirror-customer").forEach((m) => { m.value = customer.value; }));
    recompute();
  }

  // --- keyboard shortcuts (not while typing, except Alt+arrows to walk the fields) ---------------------------
  document.addEventListener("keydown", (event) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement && document.activeElement.tagName);
    if (event.altKey && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      focusField(currentIndex() + (event.key === "ArrowDown" ? 1 : -1));
      return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey || (dialog && dialog.open)) return;
    const click = (sel) => { const el = $(sel); if (el) { event.preventDefault(); el.click(); } };
    switch (event.key) {
      case "j": event.preventDefault(); focusField(currentIndex() + 1); break;
      case "k": event.preventDefault(); focusField(currentIndex() - 1); break;
      case "c": click("[data-testid=claim]"); break;
      case "s": click("[data-testid=resolve-correct]"); break;
      case "d": click("[data-testid=resolve-dismiss]"); break;
      case "n": click("[data-testid=next-exception]"); break;
      case "[": if (img) showPage(parseInt(img.dataset.page, 10) - 1); break;
      case "]": if (img) showPage(parseInt(img.dataset.page, 10) + 1); break;
      case "+": case "=": setZoom(zoom + 0.25); break;
      case "-": setZoom(zoom - 0.25); break;
      default: break;
    }
  });
})();

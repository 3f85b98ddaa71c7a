// Power Textor portal: progressive enhancement only; every page works without it.
// No inline handlers (the CSP forbids them): behaviour is attached by data- attributes.
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) return meta.content;
  const field = document.querySelector('input[name="csrf_token"]');
  return field ? field.value : "";
}

// Small fetch helper for the portal's JSON endpoints: same origin, the CSRF header.
async function portalFetch(path, options = {}) {
  const headers = Object.assign({ "X-CSRF-Token": csrfToken(), "Accept": "application/json" }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers, credentials: "same-origin" }));
  const data = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, data };
}
window.portalFetch = portalFetch;

// [data-copy="#id"]: copy the target's text to the clipboard and say so.
function setUpCopy(button) {
  button.addEventListener("click", async () => {
    const target = document.querySelector(button.dataset.copy);
    if (!target) return;
    const text = target.value !== undefined && target.value !== "" ? target.value : target.textContent;
    const status = document.querySelector(button.dataset.copyStatus || "#copy-status");
    try {
      await navigator.clipboard.writeText(text.trim());
      if (status) status.textContent = "Copied.";
    } catch (err) {
      const range = document.createRange();
      range.selectNodeContents(target);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      if (status) status.textContent = "Selected: press Ctrl+C (or Cmd+C) to copy.";
    }
  });
}

// select[data-autosubmit]: the account switcher submits when changed (its button stays for keyboards).
function setUpAutoSubmit(select) {
  select.addEventListener("change", () => { if (select.form) select.form.requestSubmit(); });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-copy]").forEach(setUpCopy);
  document.querySelectorAll("select[data-autosubmit]").forEach(setUpAutoSubmit);
});

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

// textarea[data-segments="#out"]: segments and encoding of the text as it will go (with the
// form's opt-out line and review link), counted by the server's own rule (POST /segments).
// [data-preview] in the same form shows the whole text.
function setUpSegments(area) {
  const out = document.querySelector(area.dataset.segments);
  const form = area.form;
  const preview = form ? form.querySelector("[data-preview]") : null;
  let timer = null;
  let asked = 0;
  async function update() {
    const mine = ++asked;
    const fields = { Body: area.value };
    const stop = form && form.querySelector('input[name="ReplySTOPToOptOut"]');
    if (stop && stop.checked) fields.ReplySTOPToOptOut = "1";
    const place = form && form.querySelector('[name="PlaceId"]');
    const kind = form && form.querySelector('[name="Kind"]:checked');
    if (place && place.value && (!kind || kind.value === "review" || place.dataset.always !== undefined)) fields.PlaceId = place.value;
    const { ok, data } = await portalFetch("/segments", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(fields) });
    if (!ok || !data || mine !== asked) return;
    const plural = data.Segments === 1 ? "segment" : "segments";
    let text = `${data.Segments} ${plural} (${data.Encoding}) · ${data.Characters} characters`;
    if (data.NonGsm && data.NonGsm.length) text += ` · not in GSM-7: ${data.NonGsm.join(" ")}`;
    if (out) out.textContent = text;
    if (preview) preview.textContent = data.Text;
  }
  const soon = () => { clearTimeout(timer); timer = setTimeout(update, 200); };
  area.addEventListener("input", soon);
  if (form) form.addEventListener("change", soon);
  update();
}

// [data-poll="/path"]: ask the path for {Html} every data-poll-seconds and show it when it changed
// (the server renders and escapes it; new texts appear without a reload).
function setUpPoll(list) {
  const every = Math.max(1, Number(list.dataset.pollSeconds || 3)) * 1000;
  let last = list.innerHTML.trim();
  async function poll() {
    try {
      const { ok, data } = await portalFetch(list.dataset.poll);
      if (ok && data && typeof data.Html === "string" && data.Html.trim() !== last) {
        last = data.Html.trim();
        list.innerHTML = data.Html;
        const empty = document.getElementById("thread-empty");
        if (empty && data.Count) empty.remove();
        list.dispatchEvent(new CustomEvent("portal:updated"));
      }
    } finally {
      setTimeout(poll, every);
    }
  }
  setTimeout(poll, every);
}

// [data-progress="/path"]: a campaign's live progress ({Percent, Status, counts}) while it sends.
function setUpProgress(box) {
  const every = Math.max(1, Number(box.dataset.pollSeconds || 2)) * 1000;
  const bar = box.querySelector("progress");
  async function poll() {
    const { ok, data } = await portalFetch(box.dataset.progress);
    if (ok && data) {
      if (bar) bar.value = data.Percent;
      for (const [name, value] of Object.entries(data.Counts || {})) {
        const cell = document.querySelector(`[data-count="${name}"]`);
        if (cell) cell.textContent = String(value);
      }
      const label = box.querySelector("[data-percent]");
      if (label) label.textContent = `${data.Percent} %`;
      const status = document.querySelector("[data-campaign-status]");
      if (status) status.textContent = data.Status;
      if (data.Done) { box.dataset.done = "true"; return; }
    }
    setTimeout(poll, every);
  }
  if (box.dataset.done !== "true") setTimeout(poll, every);
}


document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-copy]").forEach(setUpCopy);
  document.querySelectorAll("select[data-autosubmit]").forEach(setUpAutoSubmit);
  document.querySelectorAll("textarea[data-segments]").forEach(setUpSegments);
  document.querySelectorAll("[data-poll]").forEach(setUpPoll);
  document.querySelectorAll("[data-progress]").forEach(setUpProgress);
});

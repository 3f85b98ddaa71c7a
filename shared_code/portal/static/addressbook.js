// Power Textor portal, the address book pages: CSV import in slices with a progress bar, the
// group page's picker that follows the search box, and confirmations before deletes.
// Progressive only: without this script every form still posts and every page still works.
// Values from the server are put in the page with textContent, never as HTML.
"use strict";

(function () {
  // [data-confirm] forms: ask before they post.
  function setUpConfirm(form) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }

  // The file's rows as the file has them, cut at line breaks outside quoted fields (a quoted
  // field may hold a line break; a doubled quote inside one keeps the count even).
  function splitRows(text) {
    const rows = [];
    let start = 0;
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === '"') quoted = !quoted;
      else if (ch === "\n" && !quoted) { rows.push(text.slice(start, i)); start = i + 1; }
    }
    if (start < text.length) rows.push(text.slice(start));
    return rows;
  }

  // UTF-8 (with or without a BOM), else Windows-1252 as Excel saves it: as the server reads a file.
  async function readText(file) {
    const bytes = await file.arrayBuffer();
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\ufeff/, "");
    } catch (err) {
      return new TextDecoder("windows-1252").decode(bytes);
    }
  }

  function showReport(report) {
    const section = document.getElementById("import-report");
    const template = document.getElementById("import-report-template");
    section.replaceChildren(template.content.cloneNode(true));
    for (const cell of section.querySelectorAll("[data-count]")) {
      cell.textContent = String(report[cell.dataset.count]);
    }
    section.querySelector("[data-header-note]").textContent = report.HeaderFound
      ? "The first row was read as column names."
      : "The first row was data: columns read as Name, LastName, Phone.";
    const problems = section.querySelector(".problems");
    const body = problems.querySelector("tbody");
    for (const p of report.Problems) {
      const tr = document.createElement("tr");
      for (const [label, value, cls] of [["Row", p.Row], ["Column", p.Field], ["Value", p.Value, "mono wrap"], ["Why", p.Message]]) {
        const td = document.createElement("td");
        td.dataset.label = label;
        if (cls) td.className = cls;
        td.textContent = String(value);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    problems.hidden = report.Problems.length === 0;
    section.hidden = false;
    section.querySelector("h2").setAttribute("tabindex", "-1");
    section.querySelector("h2").focus();
  }

  function showFileError(form, message) {
    const field = form.querySelector(".field");
    let error = field.querySelector(".field-error");
    if (!error) {
      error = document.createElement("p");
      error.className = "field-error";
      error.id = "e-File";
      field.appendChild(error);
    }
    error.textContent = message;
    field.classList.add("has-error");
    const input = field.querySelector("input");
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "e-File");
    input.focus();
  }

  // form[data-import]: send the chosen file in slices of data-chunk-rows rows, one after
  // another, each with the file's first row (the server reads the columns from it).
  function setUpImport(form) {
    form.addEventListener("submit", async (event) => {
      const input = form.querySelector('input[type="file"]');
      const file = input.files && input.files[0];
      if (!file) return; // the server says what is missing
      event.preventDefault();
      const button = form.querySelector('button[type="submit"]');
      const box = form.querySelector(".import-progress");
      const bar = box.querySelector("progress");
      const note = box.querySelector("[data-progress-text]");
      const rows = splitRows(await readText(file));
      const size = Number(form.dataset.chunkRows);
      const total = { Rows: 0, Created: 0, Updated: 0, Unchanged: 0, Rejected: 0, HeaderFound: false, Problems: [] };
      button.disabled = true;
      box.hidden = false;
      bar.max = Math.max(rows.length, 1);
      bar.value = 0;
      try {
        for (let i = 0; i < rows.length; i += size) {
          const reply = await window.portalFetch(form.dataset.rowsUrl, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ Header: rows[0], Csv: rows.slice(i, i + size).join("\n"), FirstRow: i + 1 }),
          });
          if (!reply.ok) {
            const error = reply.data && reply.data.Error;
            showFileError(form, error ? error.Message : `The import stopped (HTTP ${reply.status}). Try again.`);
            note.textContent = `Stopped after ${i.toLocaleString()} of ${rows.length.toLocaleString()} rows.`;
            if (total.Rows) showReport(total);
            return;
          }
          for (const key of ["Rows", "Created", "Updated", "Unchanged", "Rejected"]) total[key] += reply.data[key];
          total.HeaderFound = total.HeaderFound || reply.data.HeaderFound;
          total.Problems = total.Problems.concat(reply.data.Problems);
          bar.value = Math.min(i + size, rows.length);
          note.textContent = `${bar.value.toLocaleString()} of ${rows.length.toLocaleString()} rows of the file`;
        }
        note.textContent = `Done: all ${rows.length.toLocaleString()} rows of the file.`;
        showReport(total);
      } catch (err) {
        showFileError(form, "The connection was lost during the import. Importing the file again is safe: rows already imported are not added twice.");
      } finally {
        button.disabled = false;
      }
    });
  }

  // [data-picker]: the "Find contacts" box lists matches as you type (JSON from the server),
  // keeping the contacts already ticked.
  function setUpPicker(section) {
    const search = section.querySelector('input[type="search"]');
    const list = section.querySelector(".picks");
    const more = section.querySelector("[data-picker-more]");
    const prefix = "add_";
    const picked = new Map(); // contact id -> label
    let timer = null;
    let asked = 0;
    list.addEventListener("change", (event) => {
      const box = event.target;
      if (box.type !== "checkbox" || box.disabled) return;
      const id = box.name.slice(prefix.length);
      if (box.checked) picked.set(id, box.labels[0].textContent); else picked.delete(id);
    });
    function item(id, label, checked, member) {
      const li = document.createElement("li");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = `pick-${id}`;
      box.name = prefix + id;
      box.value = "1";
      box.checked = checked || member;
      box.disabled = member;
      const text = document.createElement("label");
      text.htmlFor = box.id;
      text.textContent = member ? `${label} (already a member)` : label;
      li.append(box, text);
      return li;
    }
    async function refresh() {
      const mine = ++asked;
      const url = `${section.dataset.pickerUrl}?group=${encodeURIComponent(section.dataset.group)}&search=${encodeURIComponent(search.value.trim())}`;
      const reply = await window.portalFetch(url);
      if (mine !== asked || !reply.ok || !reply.data) return; // a newer search is on its way
      const items = [];
      const shown = new Set();
      for (const c of reply.data.Contacts) {
        shown.add(c.ContactId);
        items.push(item(c.ContactId, c.Label, picked.has(c.ContactId), c.InGroup));
      }
      for (const [id, label] of picked) if (!shown.has(id)) items.unshift(item(id, label, true, false));
      if (!items.length) {
        const li = document.createElement("li");
        li.className = "empty";
        li.textContent = `No contact matches “${search.value.trim()}”.`;
        items.push(li);
      }
      list.replaceChildren(...items);
      more.hidden = !reply.data.NextToken;
    }
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 200);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-confirm]").forEach(setUpConfirm);
    document.querySelectorAll("form[data-import]").forEach(setUpImport);
    document.querySelectorAll("[data-picker]").forEach(setUpPicker);
  });
})();

// The console's only script: the editor's live preview, the calendar's scheduling dialog, the time-zone note,
// confirmations, the account menu. Everything else is plain forms.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

// ---- the account menu ----
document.querySelectorAll("form[data-switch-account] select").forEach((select) => {
  select.addEventListener("change", () => { location.href = `/console/${encodeURIComponent(select.value)}/`; });
});

// ---- the top bar's menu, on a phone ----
document.querySelectorAll("[data-menu-toggle]").forEach((toggle) => {
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    toggle.closest("[data-menu]").classList.toggle("open", open);
  });
});

// ---- are you sure? ----
document.querySelectorAll("[data-confirm]").forEach((button) => {
  button.addEventListener("click", (event) => { if (!confirm(button.dataset.confirm)) event.preventDefault(); });
});

// ---- the browser's own time zone, when it is not the publisher's ----
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
document.querySelectorAll("[data-publisher-zone]").forEach((note) => {
  if (note.dataset.publisherZone !== browserZone) {
    const span = document.createElement("span");
    span.className = "browser";
    span.textContent = " " + (note.dataset.browserNote || "").replace("{zone}", browserZone);
    note.appendChild(span);
  }
});

// ---- the editor: the server renders the preview, a moment after you stop typing ----
const editor = document.querySelector(".editor");
if (editor) {
  const source = document.getElementById("source");
  const frame = document.getElementById("preview");
  const list = document.getElementById("problems");
  const count = document.getElementById("problem-count");
  const state = document.getElementById("preview-state");
  let timer = null, sent = 0;

  const showProblems = (problems) => {
    list.replaceChildren(...problems.map((problem) => {
      const item = document.createElement("li");
      item.className = problem.severity;
      const where = document.createElement("a");
      where.textContent = problem.line ? `line ${problem.line}` : "the article";
      if (problem.line) where.addEventListener("click", () => goToLine(problem.line));
      item.append(where, `: ${problem.severity}: ${problem.message}`);
      if (problem.hint) { const hint = document.createElement("div"); hint.className = "small"; hint.textContent = `→ ${problem.hint}`; item.append(hint); }
      return item;
    }));
    const errors = problems.filter((p) => p.severity === "error").length;
    count.textContent = `${errors} error(s), ${problems.length - errors} warning(s)`;
  };

  const goToLine = (line) => {
    const lines = source.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((total, text) => total + text.length + 1, 0);
    source.focus();
    source.setSelectionRange(start, start + (lines[line - 1] || "").length);
    source.scrollTop = Math.max(0, (line - 5) * parseFloat(getComputedStyle(source).lineHeight));
  };

  const refresh = async () => {
    const mine = ++sent;
    state.textContent = "updating the preview…";
    try {
      const response = await fetch(editor.dataset.previewUrl, {
        method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify({text: source.value}),
      });
      if (mine !== sent) return;  // a newer request is on its way
      const data = await response.json();
      if (data.page) frame.srcdoc = data.page;
      showProblems(data.problems || []);
      state.textContent = "preview up to date";
      editor.dataset.updated = String(mine);
    } catch (error) {
      state.textContent = `the preview could not be updated (${error})`;
    }
  };

  source.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 400); });
  refresh();
}

// ---- the calendar: choose a day, an issue and a time ----
const dialog = document.getElementById("schedule-dialog");
if (dialog) {
  const form = document.getElementById("schedule-form");
  let day = "";
  document.querySelectorAll("[data-schedule-day]").forEach((button) => {
    button.addEventListener("click", () => {
      day = button.dataset.scheduleDay;
      document.getElementById("schedule-day").textContent = button.dataset.dayWords || day;
      dialog.showModal();
    });
  });
  form.addEventListener("submit", () => {
    form.elements.at.value = `${day} ${form.elements.time.value}`;
    form.action = form.dataset.actionTemplate.replace("/issues/0/", `/issues/${form.elements.issue.value}/`);
  });
  dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
}

// The console's script (the editor has its own, editor.js): the calendar's scheduling dialog, the time-zone note,
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

// a schedule that will send to every follower asks first, as "Send to followers now" does
document.querySelectorAll("form[data-send-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    const chosen = form.querySelector("select[name=deliver]");
    const action = (chosen && chosen.value) || form.dataset.defaultDeliver;
    if (action === "send" && !confirm(form.dataset.sendConfirm)) event.preventDefault();
  });
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

// Signing out forgets this browser's unsaved editor texts (kept per person, but a shared computer should not keep
// one person's draft for the next).
document.querySelectorAll("form.who").forEach((form) => {
  form.addEventListener("submit", () => {
    Object.keys(localStorage).filter((key) => key.startsWith("wechat-pub:edit:")).forEach((key) => localStorage.removeItem(key));
  });
});

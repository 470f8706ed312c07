// The editor's script (templates/edit.html): the live phone preview, updated in place and following the item the
// caret is in; problems that lead to their field or line; unsaved changes kept (a warning on leaving, and back
// after a reload, with a way to discard them); the phone layout's preview toggle. The server renders and checks.
"use strict";
(() => {
  const form = document.getElementById("article-editor");
  if (!form) return;
  const body = document.getElementById("body");
  const frame = document.getElementById("preview");
  const list = document.getElementById("problems");
  const count = document.getElementById("problem-count");
  const state = document.getElementById("preview-state");
  const words = JSON.parse(form.dataset.words);
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  let timer = null, sent = 0, submitting = false, followed = 0;

  // ---- which item the caret is in, and where that item is in the preview ----

  // The number of the item whose text holds the caret (0: before the first item). An item starts at a '## '
  // headline; the English headline right under the Chinese one is the same item.
  const itemAt = (text, caret) => {
    let item = 0, underHeadline = false;
    for (const line of text.slice(0, caret).split("\n")) {
      const headline = /^##\s/.test(line);
      if (headline && !underHeadline) item += 1;
      underHeadline = headline;
    }
    return item;
  };

  // The rendered article numbers its items' headlines (01, 02, ...), as WeChat will show them.
  const headlineOf = (doc, item) => {
    const label = `${String(item).padStart(2, "0")}\u00a0`;
    return [...doc.querySelectorAll(".phone.light span")].find((span) => span.textContent === label) || null;
  };

  const follow = (force) => {
    const item = itemAt(body.value, body.selectionStart);
    form.dataset.item = String(item);
    const doc = frame.contentDocument;
    if (!item || (item === followed && !force) || !doc || !doc.body) return;
    const headline = headlineOf(doc, item);
    if (!headline) return;
    const view = frame.contentWindow;
    view.scrollTo(view.scrollX, Math.max(0, headline.getBoundingClientRect().top + view.scrollY - 12));
    followed = item;
    form.dataset.followed = String(item);
  };

  // ---- the preview, replaced in place: the frame and its scroll position stay ----

  const show = (page) => {
    const doc = frame.contentDocument;
    if (!page || !doc || !doc.body || !doc.body.childElementCount) {
      if (page) frame.srcdoc = page;  // the first page: the frame's load event follows the caret
      return;
    }
    const view = frame.contentWindow, x = view.scrollX, y = view.scrollY;
    const fresh = new DOMParser().parseFromString(page, "text/html");
    doc.head.replaceWith(doc.importNode(fresh.head, true));
    doc.body.replaceWith(doc.importNode(fresh.body, true));
    view.scrollTo(x, y);
  };

  // ---- problems: each a link to its field or line, reachable with Tab ----

  const problemItem = (problem) => {
    const item = document.createElement("li");
    item.className = problem.severity;
    const link = document.createElement("a");
    if (problem.field) {
      link.href = `#field-${problem.field}`;
      link.dataset.field = problem.field;
      link.textContent = words.fields[problem.field] || problem.field;
    } else {
      link.href = "#body";
      if (problem.line) link.dataset.line = String(problem.line);
      link.textContent = problem.line ? words.line.replace("{n}", problem.line) : words.text;
    }
    const message = document.createElement("span");
    message.dataset.verbatim = "";  // check's words, as the server's list marks them
    message.textContent = problem.message;
    item.append(link, ": ", message);
    if (problem.hint) {
      const hint = document.createElement("div");
      hint.className = "small";
      hint.dataset.verbatim = "";
      hint.textContent = `→ ${problem.hint}`;
      item.append(hint);
    }
    return item;
  };

  const showProblems = (problems) => {
    list.replaceChildren(...problems.map(problemItem));
    const errors = problems.filter((p) => p.severity === "error").length;
    count.textContent = words.count.replace("{e}", errors).replace("{w}", problems.length - errors);
  };

  const goToLine = (line) => {
    const lines = body.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((total, text) => total + text.length + 1, 0);
    body.focus();
    body.setSelectionRange(start, start + (lines[line - 1] || "").length);
    body.scrollTop = Math.max(0, (line - 5) * parseFloat(getComputedStyle(body).lineHeight));
    follow(true);
  };

  list.addEventListener("click", (event) => {
    const link = event.target.closest("a");
    if (!link) return;
    event.preventDefault();
    if (link.dataset.line) return goToLine(Number(link.dataset.line));
    const target = document.getElementById(link.dataset.field ? `field-${link.dataset.field}` : "body");
    if (!target) return;
    target.closest("details")?.setAttribute("open", "");
    target.focus();
    target.scrollIntoView({block: "center"});
  });

  const refresh = async () => {
    const mine = ++sent;
    state.textContent = words.updating;
    try {
      const response = await fetch(form.dataset.previewUrl, {method: "POST", headers: {"X-CSRFToken": csrf},
                                                             body: new FormData(form)});
      const data = await response.json();
      if (mine !== sent) return;  // a newer request is on its way
      show(data.page);
      showProblems(data.problems || []);
      follow(true);
      state.textContent = words.upToDate;
      form.dataset.updated = String(mine);
    } catch (error) {
      state.textContent = words.failed;
    }
  };

  // ---- unsaved changes: kept in this browser until saved or discarded ----

  const key = form.dataset.draftKey;
  const values = () => {
    const out = {};
    for (const field of form.elements) {
      if (!field.name || field.type === "hidden") continue;
      if (field.type === "checkbox") out[`${field.name}:${field.value}`] = field.checked;
      else out[field.name] = field.value;
    }
    return out;
  };
  const apply = (saved) => {
    for (const field of form.elements) {
      if (!field.name || field.type === "hidden") continue;
      const name = field.type === "checkbox" ? `${field.name}:${field.value}` : field.name;
      if (!(name in saved)) continue;
      if (field.type === "checkbox") field.checked = saved[name]; else field.value = saved[name];
    }
  };
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const original = values();
  const unsaved = () => Boolean(form.dataset.unsaved) || !same(values(), original);
  const keep = () => {
    if (unsaved()) localStorage.setItem(key, JSON.stringify({version: form.dataset.version, values: values()}));
    else localStorage.removeItem(key);
  };

  const stored = JSON.parse(localStorage.getItem(key) || "null");
  if (stored && stored.version !== form.dataset.version) localStorage.removeItem(key);  // saved since (or by someone else)
  else if (stored && !same(stored.values, original)) {
    apply(stored.values);
    document.getElementById("restored").hidden = false;
  }
  if (form.dataset.unsaved) keep();
  document.getElementById("discard").addEventListener("click", () => {
    localStorage.removeItem(key);
    delete form.dataset.unsaved;
    apply(original);
    document.getElementById("restored").hidden = true;
    refresh();
  });
  window.addEventListener("beforeunload", (event) => {
    if (!submitting && unsaved()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  form.addEventListener("submit", () => { submitting = true; });

  // ---- events ----

  const changed = () => {
    keep();
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  for (const event of ["keyup", "click", "select", "focus"]) body.addEventListener(event, () => follow(false));
  frame.addEventListener("load", () => follow(true));

  const toggle = document.getElementById("toggle-preview");
  toggle.addEventListener("click", () => {
    const pane = document.getElementById("preview-pane");
    pane.hidden = !pane.hidden;
    toggle.setAttribute("aria-expanded", String(!pane.hidden));
    toggle.textContent = pane.hidden ? words.showPreview : words.hidePreview;
  });

  const errors = list.querySelectorAll("li.error").length, total = list.querySelectorAll("li").length;
  count.textContent = words.count.replace("{e}", errors).replace("{w}", total - errors);
  if (!document.getElementById("restored").hidden) refresh();
  else form.dataset.updated = "0";
})();

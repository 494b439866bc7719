// The post editor's helpers: a live markdown preview rendered by the server (the same
// sanitizer as posting), and @mention suggestions limited to people who can read the
// thread. Keyboard: arrows move through suggestions, Enter or Tab chooses, Escape closes.
const DELAY_MS = 350;

function csrfOf(form) {
  return form.querySelector("input[name=csrf_token]")?.value || "";
}

function setUpPreview(editor, textarea, form) {
  const section = editor.querySelector("[data-preview]");
  if (!section) return; // an editor without a preview (a lab channel's message box)
  const target = section.querySelector(".preview-body");
  let timer = null;
  textarea.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      if (!textarea.value.trim()) { section.hidden = true; return; }
      const body = new URLSearchParams({ csrf_token: csrfOf(form), body: textarea.value });
      const response = await fetch("/forum/preview", { method: "POST", body, credentials: "same-origin" });
      if (!response.ok) return;
      const { html } = await response.json();
      target.innerHTML = html; // sanitized on the server
      section.hidden = false;
    }, DELAY_MS);
  });
}

function mentionQuery(textarea) {
  const before = textarea.value.slice(0, textarea.selectionStart);
  const match = /(?:^|\s)@([^\s@*|]{1,40})$/u.exec(before);
  return match ? { text: match[1], start: before.length - match[1].length - 1 } : null;
}

function setUpMentions(editor, textarea, form) {
  const list = editor.querySelector(".mention-suggestions");
  let people = [];
  let active = -1;
  let current = null;
  let asked = 0; // answers can arrive out of order: only the latest question's answer counts
  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-controls", list.id);

  function close() {
    list.hidden = true;
    list.replaceChildren();
    people = [];
    active = -1;
    textarea.removeAttribute("aria-activedescendant");
  }

  function choose(index) {
    const person = people[index];
    if (!person || !current) return;
    const end = textarea.selectionStart;
    textarea.value = `${textarea.value.slice(0, current.start)}${person.token} ${textarea.value.slice(end)}`;
    const caret = current.start + person.token.length + 1;
    textarea.setSelectionRange(caret, caret);
    close();
    textarea.dispatchEvent(new Event("input"));
  }

  function highlight(index) {
    active = index;
    list.querySelectorAll("li").forEach((item, i) => item.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) textarea.setAttribute("aria-activedescendant", `${list.id}-${index}`);
    else textarea.removeAttribute("aria-activedescendant");
  }

  async function suggest() {
    current = mentionQuery(textarea);
    if (!current) { asked += 1; close(); return; }
    const params = new URLSearchParams({ q: current.text });
    if (form.dataset.mentionsThread) params.set("thread", form.dataset.mentionsThread);
    const where = form.dataset.mentionsWhereField && form.elements[form.dataset.mentionsWhereField];
    if (where) params.set("where", where.value);
    const question = ++asked;
    // A feature's own suggestions (a lab channel's team) or the forum's.
    const response = await fetch(`${form.dataset.mentionsUrl || "/forum/mentions"}?${params}`, { credentials: "same-origin" });
    if (question !== asked) return;
    if (!response.ok) { close(); return; }
    const answer = (await response.json()).people;
    if (question !== asked) return;
    people = answer;
    list.replaceChildren(...people.map((person, index) => {
      const item = document.createElement("li");
      item.id = `${list.id}-${index}`;
      item.setAttribute("role", "option");
      item.textContent = person.pronouns ? `${person.name} (${person.pronouns})` : person.name;
      item.addEventListener("mousedown", (event) => { event.preventDefault(); choose(index); });
      return item;
    }));
    list.hidden = people.length === 0;
    highlight(people.length ? 0 : -1);
  }

  textarea.addEventListener("input", suggest);
  textarea.addEventListener("keydown", (event) => {
    if (list.hidden || !people.length) return;
    if (event.key === "ArrowDown") { event.preventDefault(); highlight((active + 1) % people.length); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight((active - 1 + people.length) % people.length); }
    else if (event.key === "Enter" || event.key === "Tab") { event.preventDefault(); choose(active); }
    else if (event.key === "Escape") { event.preventDefault(); close(); }
  });
  textarea.addEventListener("blur", () => setTimeout(close, 150));
}

for (const editor of document.querySelectorAll("[data-editor]")) {
  if (editor.dataset.ready) continue;
  editor.dataset.ready = "true";
  const textarea = editor.querySelector("textarea");
  const form = editor.closest("form");
  setUpPreview(editor, textarea, form);
  setUpMentions(editor, textarea, form);
}

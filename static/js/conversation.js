// A conversation page: live messages and sending through the WebSocket, with the plain
// form as the fallback when scripts or the socket are unavailable.
import { localTime } from "./clock.js";
import { confirmIfWarned, newClientMsgId, sharedConnection } from "./live.js";

const list = document.getElementById("messages");
const form = document.getElementById("post-form");
const status = document.getElementById("live-status");
const conversation = Number(list.dataset.conversation);
const me = Number(list.dataset.me);

const STATUS_TEXT = {
  connecting: "Connecting for live updates…",
  live: "Live: new messages appear as they are posted.",
  reconnecting: "Connection lost; reconnecting. Messages you send will go when it is back.",
  "signed-out": "You were signed out. Reload the page to sign in again.",
};

function messageItem(data) {
  const item = document.createElement("li");
  item.className = "message";
  item.id = `m${data.seq}`;
  item.dataset.seq = String(data.seq);
  const meta = document.createElement("p");
  meta.className = "message-meta";
  const author = document.createElement("strong");
  author.className = "message-author";
  author.textContent = data.author.name;
  meta.append(author);
  if (data.author.pronouns) {
    const pronouns = document.createElement("span");
    pronouns.className = "muted";
    pronouns.textContent = ` (${data.author.pronouns})`;
    meta.append(pronouns);
  }
  const time = document.createElement("time");
  time.dateTime = data.created_at;
  time.textContent = localTime(data.created_at, { label: false });
  meta.append(" ", time);
  const body = document.createElement("div");
  body.className = "message-body";
  fillBody(body, data);
  item.append(meta, body);
  if (data.author.id !== me && !data.deleted && !data.hidden) item.append(flagLink(data));
  return item;
}

function flagLink(data) {
  const actions = document.createElement("p");
  actions.className = "message-actions";
  const link = document.createElement("a");
  link.href = `/moderation/flags/new?conversation=${data.conversation}&seq=${data.seq}`;
  link.textContent = "Flag";
  link.setAttribute("aria-label", `Flag the message of ${data.author.name} for the moderators`);
  actions.append(link);
  return actions;
}

function fillBody(body, data) {
  if (data.deleted || data.hidden) {
    const note = document.createElement("em");
    note.textContent = data.deleted ? "This message was deleted." : "This message is hidden pending review.";
    body.replaceChildren(note);
  } else {
    // `html` is rendered and sanitized on the server (allowlist), never raw user HTML.
    body.innerHTML = data.html;
  }
}

// Events that change a message already on the page (docs/protocol.md).
const CHANGES = new Set(["edited", "deleted", "hidden", "unhidden"]);

function showEvent(frame) {
  const data = frame.data;
  const existing = document.getElementById(`m${data.seq}`);
  if (frame.type === "message" && !existing) {
    document.querySelector(`[data-pending="${data.client_msg_id}"]`)?.remove();
    document.getElementById("empty-note")?.remove();
    list.append(messageItem(data));
  } else if (CHANGES.has(frame.type) && existing) {
    fillBody(existing.querySelector(".message-body"), data);
    existing.classList.toggle("message-removed", data.deleted || data.hidden);
    // A hidden or deleted message can no longer be flagged; a message shown again can.
    existing.querySelector(".message-actions")?.remove();
    if (data.author.id !== me && !data.deleted && !data.hidden) existing.append(flagLink(data));
  }
}

const live = sharedConnection();
live.addStatusListener((state) => { status.textContent = STATUS_TEXT[state] || ""; });
live.subscribe(conversation, Number(list.dataset.lastSeq), showEvent);

if (form) {
  form.addEventListener("submit", (event) => {
    const textarea = form.querySelector("textarea[name=body]");
    const idField = form.querySelector("input[name=client_msg_id]");
    const body = textarea.value;
    if (!body.trim() || !live.isOpen) return; // the plain form post takes over
    event.preventDefault();
    const clientMsgId = idField.value;
    const placeholder = document.createElement("li");
    placeholder.className = "message message-pending";
    placeholder.dataset.pending = clientMsgId;
    placeholder.textContent = "Sending…";
    list.append(placeholder);
    textarea.value = "";
    idField.value = newClientMsgId();
    live.send(conversation, body, clientMsgId)
      .catch((error) => confirmIfWarned(error, () => live.send(conversation, body, clientMsgId, { confirm: true })))
      .catch((error) => {
        placeholder.remove();
        textarea.value = body;
        status.textContent = `Not sent: ${error.message || "please try again"}`;
      });
  });
}

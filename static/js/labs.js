// A lab channel page: live messages, thread replies and pins through the WebSocket, with
// the plain forms as the fallback when scripts or the socket are unavailable.
import { localTime } from "./clock.js";
import { confirmIfWarned, newClientMsgId, sharedConnection } from "./live.js";

const list = document.getElementById("messages");
const threadList = document.getElementById("thread-messages");
const status = document.getElementById("live-status");
const conversation = Number(list.dataset.conversation);
const channel = Number(list.dataset.channel);
const openThread = list.dataset.thread ? Number(list.dataset.thread) : null;

const STATUS_TEXT = {
  connecting: "Connecting for live updates…",
  live: "Live: new messages appear as they are posted.",
  reconnecting: "Connection lost; reconnecting.",
  "signed-out": "You were signed out. Reload the page to sign in again.",
};

function messageItem(data, prefix) {
  const item = document.createElement("li");
  item.className = "message lab-message";
  item.id = `${prefix}${data.seq}`;
  item.dataset.seq = String(data.seq);
  const meta = document.createElement("p");
  meta.className = "message-meta";
  const author = document.createElement("strong");
  author.className = "message-author";
  author.textContent = data.author.name;
  const time = document.createElement("time");
  time.dateTime = data.created_at;
  time.textContent = localTime(data.created_at, { label: false });
  meta.append(author, " ", time);
  const body = document.createElement("div");
  body.className = "message-body";
  fillBody(body, data);
  item.append(meta, body);
  if (prefix === "m") {
    const actions = document.createElement("div");
    actions.className = "message-actions";
    const link = document.createElement("a");
    link.className = "thread-link";
    link.href = `/labs/channels/${channel}?thread=${data.seq}#thread`;
    link.dataset.root = String(data.seq);
    const count = document.createElement("span");
    count.className = "reply-count";
    count.textContent = "0";
    link.append(count, " replies");
    actions.append(link);
    item.append(actions);
  }
  return item;
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

function showMessage(data) {
  if (data.reply_to === null) {
    if (document.getElementById(`m${data.seq}`)) return;
    document.getElementById("empty-note")?.remove();
    list.append(messageItem(data, "m"));
  } else if (threadList && data.reply_to === openThread && !document.getElementById(`t${data.seq}`)) {
    threadList.append(messageItem(data, "t"));
  }
}

function showChange(data) {
  for (const prefix of ["m", "t"]) {
    const existing = document.getElementById(`${prefix}${data.seq}`);
    if (existing) fillBody(existing.querySelector(".message-body"), data);
  }
}

function showReplies(data) {
  const link = document.querySelector(`#m${data.root} .reply-count`);
  if (link) link.textContent = String(data.replies);
}

function showPin(frame) {
  const pins = document.getElementById("pins");
  const existing = pins.querySelector(`[data-seq="${frame.data.seq}"]`);
  if (frame.op === "remove") { existing?.remove(); return; }
  if (existing) return;
  document.getElementById("no-pins")?.remove();
  const source = document.querySelector(`#m${frame.data.seq}`);
  const item = document.createElement("li");
  item.dataset.seq = String(frame.data.seq);
  const link = document.createElement("a");
  link.href = `#m${frame.data.seq}`;
  link.textContent = source ? source.querySelector(".message-author").textContent : "Message";
  const text = document.createElement("span");
  text.className = "pin-text";
  text.textContent = source ? source.querySelector(".message-body").textContent.slice(0, 120) : "";
  item.append(link, ": ", text);
  pins.append(item);
}

function onEvent(frame) {
  if (frame.type === "message") {
    showMessage(frame.data);
    // The reader is on the page: what arrives is read (the channel list's unread counts).
    live.request({ type: "mark_read", conversation, seq: frame.seq }).catch(() => {});
  }
  else if (frame.type === "edited" || frame.type === "deleted" || frame.type === "hidden" || frame.type === "unhidden") showChange(frame.data);
  else if (frame.type === "thread_replies") showReplies(frame.data);
  else if (frame.type === "pin") showPin(frame);
}

const live = sharedConnection();
live.addStatusListener((state) => { status.textContent = STATUS_TEXT[state] || ""; });
live.subscribe(conversation, Number(list.dataset.lastSeq), onEvent);

function sendFrom(form, replyTo) {
  form.addEventListener("submit", (event) => {
    const textarea = form.querySelector("textarea[name=body]");
    const body = textarea.value;
    const file = form.querySelector("input[type=file]");
    // A file, an empty text or no socket: the plain form post takes over.
    if ((file && file.files.length) || !body.trim() || !live.isOpen) return;
    event.preventDefault();
    textarea.value = "";
    const frame = { type: "send", conversation, body, client_msg_id: newClientMsgId() };
    if (replyTo !== null) frame.reply_to = replyTo;
    live.request(frame)
      .catch((error) => confirmIfWarned(error, () => live.request({ ...frame, confirm: true })))
      .catch((error) => {
        textarea.value = body;
        status.textContent = `Not sent: ${error.message || "please try again"}`;
      });
  });
}

sendFrom(document.getElementById("post-form"), null);
const replyForm = document.getElementById("reply-form");
if (replyForm) sendFrom(replyForm, openThread);

// A Chats for Change room: live messages, presence, the room state (pinned agenda, queue,
// floor, pause) and the facilitators' tools over the page's one WebSocket. The server
// enforces every rule; this page only shows the state and sends intents. On every
// (re)connect it asks for a snapshot of the room first (docs/protocol.md).
import { localTime } from "./clock.js";
import { confirmIfWarned, newClientMsgId, sharedConnection } from "./live.js";

const room = document.getElementById("dialogue-room");
const session = Number(room.dataset.session);
const conversation = Number(room.dataset.conversation);
const backchannel = room.dataset.backchannel ? Number(room.dataset.backchannel) : null;
const isFacilitator = room.dataset.facilitator === "true";
const status = document.getElementById("live-status");
let version = Number(room.dataset.version);
let facilitatorIds = new Set();
const present = new Map();
const mine = new Set(); // seqs of my own messages (in a room of handles my id is not on them)

const STATUS_TEXT = {
  connecting: "Connecting…",
  live: "Live.",
  reconnecting: "Connection lost; reconnecting…",
  "signed-out": "You were signed out. Reload the page to sign in again.",
};

function text(id, value) {
  const node = document.getElementById(id);
  if (node) node.textContent = value;
}

function messageItem(data) {
  const item = document.createElement("li");
  item.className = "message";
  item.id = `m${data.conversation}-${data.seq}`;
  const meta = document.createElement("p");
  meta.className = "message-meta";
  const number = document.createElement("span");
  number.className = "muted";
  number.textContent = `#${data.seq} `;
  meta.append(number);
  const author = document.createElement("strong");
  author.className = "message-author";
  author.textContent = data.author.name;
  meta.append(author);
  if (data.author.id && facilitatorIds.has(data.author.id)) {
    const badge = document.createElement("span");
    badge.className = "badge facilitator-badge";
    badge.textContent = "Facilitator";
    meta.append(" ", badge);
  }
  if (data.author.pronouns) meta.append(` (${data.author.pronouns})`);
  const body = document.createElement("div");
  body.className = "message-body";
  if (data.deleted || data.hidden) {
    const note = document.createElement("em");
    note.textContent = data.deleted ? "This message was deleted." : "Hidden by a facilitator.";
    body.append(note);
  } else {
    body.innerHTML = data.html; // sanitized on the server (allowlist)
  }
  item.append(meta, body);
  return item;
}

function showRoom(state) {
  if (state.version < version) return;
  version = state.version;
  facilitatorIds = new Set(state.facilitators.map((f) => f.id));
  text("room-state", state.state);
  const paused = document.getElementById("paused-note");
  paused.hidden = state.state !== "paused";
  paused.textContent = state.grounding_message;
  text("agenda-step", state.agenda_step || "Check-in");
  text("prompt", state.prompt);
  text("round-ends", state.round_ends_at ? localTime(state.round_ends_at, { dated: false }) : "no time box");
  text("slow-mode", state.slow_mode_seconds ? `${state.slow_mode_seconds} s` : "off");
  text("floor-mode", state.floor_mode ? "on" : "off");
  text("floor-holder", state.floor ? state.floor.person.name : "open");
  text("signal-counts", `ouch ${state.signals.ouch} · oops ${state.signals.oops}`);
  if (!state.breakouts.length) showBreakout(null);
  const queue = document.getElementById("queue");
  queue.replaceChildren(...state.queue.map((entry) => {
    const li = document.createElement("li");
    li.textContent = isFacilitator ? `${entry.person.name} (handle ${entry.key})` : entry.person.name;
    return li;
  }));
}

let breakout = null; // the conversation of my breakout, when I am in one
let line = null;

function showBreakout(info) {
  const panel = document.getElementById("breakout-room");
  if (!info || !info.conversation) {
    if (breakout) live.unsubscribe(breakout);
    breakout = null;
    panel.hidden = true;
    text("breakout-status", "Everyone is in the main room.");
    return;
  }
  text("breakout-name", info.name || "Your breakout");
  if (info.open === false) {
    text("breakout-status", "You chose this room; it opens when enough people join.");
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  text("breakout-status", "You are in a breakout.");
  if (info.guiding_questions) {
    document.getElementById("breakout-questions").replaceChildren(...info.guiding_questions.map((q) => { const li = document.createElement("li"); li.textContent = q; return li; }));
  }
  if (info.roster) text("breakout-roster", info.roster.map((entry) => entry.person.name).join(", "));
  text("breakout-ends", info.ends_at ? `Ends at ${localTime(info.ends_at, { dated: false })}` : "");
  if (breakout !== info.conversation) {
    breakout = info.conversation;
    document.getElementById("breakout-form").action = `/conversations/${breakout}/messages`;
    document.getElementById("breakout-messages").replaceChildren();
    live.subscribe(breakout, 0, (frame) => {
      if (frame.type === "message") document.getElementById("breakout-messages").append(messageItem(frame.data));
    });
  }
}

function showRosters(rosters) {
  const box = document.getElementById("facilitator-rosters");
  if (!box) return;
  box.replaceChildren(...Object.entries(rosters || {}).map(([conversation, people]) => {
    const p = document.createElement("p");
    p.textContent = `Breakout ${conversation}: ${people.map((e) => `${e.person.name} (handle ${e.key})`).join(", ")}`;
    return p;
  }));
}

function openLine(conversation) {
  if (line === conversation) return;
  line = conversation;
  document.getElementById("line-panel").hidden = false;
  document.getElementById("line-send").action = `/conversations/${line}/messages`;
  document.getElementById("line-messages").replaceChildren(); // the replay from 0 refills it
  live.subscribe(line, 0, (frame) => {
    if (frame.type === "message") document.getElementById("line-messages").append(messageItem(frame.data));
  });
}

function showMe(me) {
  if ("breakout" in me) showBreakout(me.breakout);
  if (me.rosters) showRosters(me.rosters);
  const button = document.getElementById("hand-button");
  if (button) button.textContent = me.hand_raised ? "Lower my hand" : "Raise my hand";
  const up = document.querySelector("#hand-form input[name=up]");
  if (up) up.value = me.hand_raised ? "0" : "1";
  if (me.muted_until) text("send-error", `You are muted until ${localTime(me.muted_until, { dated: false })}.`);
}

function showPresence() {
  const list = document.getElementById("presence");
  list.replaceChildren(...[...present.values()].map((person) => {
    const li = document.createElement("li");
    li.textContent = person.facilitator ? `${person.name} (facilitator)` : person.name;
    return li;
  }));
}

function presenceKey(person) {
  return person.key || String(person.id);
}

function markHidden(frame) {
  const item = document.getElementById(`m${frame.data.conversation}-${frame.data.seq}`);
  if (!item) return;
  const body = item.querySelector(".message-body");
  item.querySelector(".hidden-note")?.remove();
  if (frame.type === "unhidden") {
    body.innerHTML = frame.data.html; // sanitized on the server
    return;
  }
  const note = document.createElement("p");
  note.className = "hidden-note";
  const text = document.createElement("em");
  note.append(text);
  if (isFacilitator || mine.has(frame.data.seq)) {
    text.textContent = "Hidden by a facilitator pending review; only its author and the facilitators see it.";
    body.prepend(note);
  } else {
    text.textContent = "Hidden by a facilitator.";
    body.replaceChildren(note);
  }
}

function onMain(frame) {
  if (frame.type === "message") {
    if (!document.getElementById(`m${frame.data.conversation}-${frame.data.seq}`)) document.getElementById("messages").append(messageItem(frame.data));
  } else if (frame.type === "hidden" || frame.type === "unhidden") {
    markHidden(frame);
  } else if (frame.type === "dialogue" && frame.op === "state") {
    showRoom(frame.data);
  }
}

watchPresence();
function watchPresence() {
  sharedConnection().on("presence", (frame) => {
    if (frame.topic !== `conv:${conversation}`) return;
    const person = frame.data.person;
    if (frame.op === "join") present.set(presenceKey(person), person);
    else present.delete(presenceKey(person));
    showPresence();
  });
}

function showPresent(ack) {
  present.clear();
  for (const person of ack.present || []) present.set(presenceKey(person), person);
  showPresence();
}

function onBack(frame) {
  if (frame.type === "message") document.getElementById("backchannel-messages").append(messageItem(frame.data));
}

const live = sharedConnection();
live.addStatusListener((state) => {
  status.textContent = STATUS_TEXT[state] || "";
  if (state === "live") {
    live.request({ type: "dialogue.snapshot", session }).then((reply) => { showRoom(reply.room); showMe(reply.me); }).catch(() => {});
  }
});
live.on("ack", () => {});
live.on("unsubscribed", (frame) => { if (frame.conversation === conversation) location.reload(); });
live.on("dialogue", (frame) => {
  if (frame.op === "muted") showMe({ muted_until: frame.data.muted_until, hand_raised: false });
  if (frame.op === "removed") location.reload();
  if (frame.op === "breakout" || frame.op === "state") {
    live.request({ type: "dialogue.snapshot", session }).then((reply) => showMe(reply.me)).catch(() => {});
  }
  if (frame.op === "report") text("live-status", `A message (#${frame.data.seq}) was reported: ${frame.data.reason || "no reason given"}.`);
  if (frame.op === "line" && frame.data.session === session) addLineRoom(frame.data.conversation, frame.data.person.name);
});
const lastSeq = Number(room.dataset.lastSeq);
live.subscribe(conversation, lastSeq, onMain, showPresent);
if (backchannel) live.subscribe(backchannel, Number(room.dataset.backLastSeq), onBack);

// Without a live socket (or a known target) the form posts as a plain form.
function sendFrom(form, target) {
  form.addEventListener("submit", (event) => {
    const textarea = form.querySelector("textarea[name=body]");
    const to = typeof target === "function" ? target() : target;
    if (!textarea.value.trim() || !live.isOpen || !to) return;
    event.preventDefault();
    const body = textarea.value;
    textarea.value = "";
    text("send-error", "");
    const clientMsgId = newClientMsgId();
    live.send(to, body, clientMsgId)
      .catch((error) => confirmIfWarned(error, () => live.send(to, body, clientMsgId, { confirm: true })))
      .then((ack) => mine.add(ack.seq))
      .catch((error) => {
        textarea.value = body;
        text("send-error", error.message || "Not sent; please try again.");
      });
  });
}
sendFrom(document.getElementById("post-form"), conversation);
const backForm = document.getElementById("backchannel-form");
if (backForm) sendFrom(backForm, backchannel);

sendFrom(document.getElementById("breakout-form"), () => breakout);

const lineForm = document.getElementById("line-form");
if (lineForm) {
  lineForm.addEventListener("submit", (event) => {
    if (!live.isOpen) return;
    event.preventDefault();
    live.request({ type: "dialogue.private_line", session }).then((reply) => openLine(reply.conversation)).catch(() => {});
  });
}
sendFrom(document.getElementById("line-send"), () => line);
const linePanel = document.getElementById("line-panel");
if (linePanel.dataset.conversation) openLine(Number(linePanel.dataset.conversation));

// The facilitators' view of the private lines: the ones on the page, and new ones as they open.
const lineRooms = new Set();
function watchLineRoom(box) {
  const conversationId = Number(box.dataset.conversation);
  lineRooms.add(conversationId);
  const list = box.querySelector("ol");
  live.subscribe(conversationId, Number(box.dataset.lastSeq || 0), (frame) => {
    if (frame.type === "message" && !document.getElementById(`m${conversationId}-${frame.data.seq}`)) list.append(messageItem(frame.data));
  });
  sendFrom(box.querySelector("form"), conversationId);
}
function addLineRoom(conversationId, name) {
  const section = document.getElementById("lines");
  if (!section || lineRooms.has(conversationId)) return;
  const box = document.createElement("div");
  box.className = "line-room";
  box.dataset.conversation = String(conversationId);
  const heading = document.createElement("h4");
  heading.textContent = `From ${name}`;
  const list = document.createElement("ol");
  list.className = "messages";
  list.setAttribute("aria-live", "polite");
  const form = document.createElement("form");
  form.method = "post";
  form.action = `/conversations/${conversationId}/messages`;
  for (const [field, value] of [["csrf_token", section.dataset.csrf], ["client_msg_id", newClientMsgId()]]) {
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = field;
    hidden.value = value;
    form.append(hidden);
  }
  const label = document.createElement("label");
  label.htmlFor = `line-reply-${conversationId}`;
  label.textContent = `Reply to ${name}`;
  const textarea = document.createElement("textarea");
  textarea.id = label.htmlFor;
  textarea.name = "body";
  textarea.rows = 2;
  textarea.required = true;
  const button = document.createElement("button");
  button.type = "submit";
  button.textContent = "Reply";
  form.append(label, textarea, button);
  box.append(heading, list, form);
  section.append(box);
  document.getElementById("no-lines").hidden = true;
  watchLineRoom(box);
}
for (const box of document.querySelectorAll("#lines .line-room")) watchLineRoom(box);

for (const form of document.querySelectorAll("form.dialogue-signal")) {
  form.addEventListener("submit", (event) => {
    if (!live.isOpen) return;
    event.preventDefault();
    live.request({ type: "dialogue.signal", session, kind: form.querySelector("input[name=kind]").value }).catch(() => {});
  });
}

const handForm = document.getElementById("hand-form");
if (handForm) {
  handForm.addEventListener("submit", (event) => {
    if (!live.isOpen) return;
    event.preventDefault();
    const up = handForm.querySelector("input[name=up]").value === "1";
    live.request({ type: up ? "dialogue.raise_hand" : "dialogue.lower_hand", session })
      .then(() => showMe({ hand_raised: up }))
      .catch((error) => text("send-error", error.message || "That did not work."));
  });
}

for (const form of document.querySelectorAll("form.dialogue-tool")) {
  form.addEventListener("submit", (event) => {
    if (!live.isOpen) return;
    event.preventDefault();
    const params = {};
    for (const [name, value] of new FormData(form)) if (name !== "csrf_token" && name !== "action") params[name] = value;
    const action = form.querySelector("input[name=action]").value;
    live.request({ type: "dialogue.facilitate", session, action, params })
      .catch((error) => confirmIfWarned(error, () => live.request({ type: "dialogue.facilitate", session, action, params: { ...params, confirm: "1" } })))
      .then(() => text("live-status", "Done."))
      .catch((error) => text("live-status", error.message || "That did not work."));
  });
}

// The single WebSocket client of the pages (protocol: docs/protocol.md).
// It connects to /ws, resubscribes after a reconnect from the last seq it saw, resends
// the sends that were never acknowledged (same client_msg_id, so the server stores each
// once), and reconnects with capped exponential backoff. A page has one connection,
// `sharedConnection()`, which every script of the page uses (the conversation, the
// notification badge), so a page never holds two sockets.

const PROTOCOL = 1;

function socketURL() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

export function newClientMsgId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class LiveConnection {
  constructor({ url = socketURL(), onStatus = null } = {}) {
    this.url = url;
    this.statusListeners = onStatus ? [onStatus] : [];
    this.state = "idle";
    this.socket = null;
    this.attempt = 0;
    this.nextRef = 1;
    this.waiting = new Map(); // ref -> {resolve, reject}
    this.subscriptions = new Map(); // conversation -> {lastSeq, onEvent}
    this.pending = new Map(); // client_msg_id -> {frame, resolve, reject}
    this.handlers = new Map(); // event type -> [fn]
  }

  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(fn);
  }

  addStatusListener(fn) {
    this.statusListeners.push(fn);
    if (this.state !== "idle") fn(this.state);
  }

  onStatus(state) {
    this.state = state;
    for (const fn of this.statusListeners) fn(state);
  }

  connect() {
    this.onStatus("connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => this.opened());
    socket.addEventListener("message", (event) => this.received(event.data));
    socket.addEventListener("close", (event) => this.closed(event));
  }

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  opened() {
    this.attempt = 0;
    this.onStatus("live");
    this.write({ type: "hello", protocol: PROTOCOL });
    for (const conversation of this.subscriptions.keys()) this.writeSubscribe(conversation);
    for (const entry of this.pending.values()) this.write(entry.frame);
  }

  closed(event) {
    this.socket = null;
    for (const { reject } of this.waiting.values()) reject(new Error("connection closed"));
    this.waiting.clear();
    const delay = Math.min(30000, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    this.onStatus(event.code === 4401 ? "signed-out" : "reconnecting");
    if (event.code !== 4401) setTimeout(() => this.connect(), delay);
  }

  received(text) {
    const frame = JSON.parse(text);
    if (frame.type === "ack" || frame.type === "error") {
      this.settle(frame);
      return;
    }
    // Only conversation events go to a subscription; person events (mentions,
    // notifications) may name a conversation too but go to the type handlers alone.
    const conversation = frame.data && frame.data.conversation;
    const sub = String(frame.topic).startsWith("conv:") ? this.subscriptions.get(conversation) : undefined;
    if (frame.type === "message" && sub) {
      if (frame.seq <= sub.lastSeq) return;
      sub.lastSeq = frame.seq;
    }
    if (sub) sub.onEvent(frame);
    for (const fn of this.handlers.get(frame.type) || []) fn(frame);
  }

  settle(frame) {
    const waiter = this.waiting.get(frame.ref);
    this.waiting.delete(frame.ref);
    if (frame.type === "ack") {
      const sent = frame.client_msg_id && this.pending.get(frame.client_msg_id);
      if (sent) { this.pending.delete(frame.client_msg_id); sent.resolve(frame); }
      if (waiter) waiter.resolve(frame);
      return;
    }
    if (frame.code === "rate_limited") {
      // Keep sends queued; they go again after the wait.
      setTimeout(() => { for (const e of this.pending.values()) this.write(e.frame); }, (frame.retry_after || 1) * 1000);
    } else {
      for (const [id, entry] of this.pending) {
        if (entry.frame.ref === frame.ref) { this.pending.delete(id); entry.reject(frame); }
      }
    }
    if (waiter) waiter.reject(frame);
  }

  ref() {
    return `r${this.nextRef++}`;
  }

  write(frame) {
    if (this.isOpen) this.socket.send(JSON.stringify(frame));
  }

  request(frame) {
    const ref = this.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(ref, { resolve, reject });
      this.write({ ...frame, ref });
    });
  }

  // `onAck` (optional) gets each subscribe's ack, with the people present, after every (re)connect.
  subscribe(conversation, afterSeq, onEvent, onAck = null) {
    this.subscriptions.set(conversation, { lastSeq: afterSeq, onEvent, onAck });
    this.writeSubscribe(conversation);
  }

  writeSubscribe(conversation) {
    const sub = this.subscriptions.get(conversation);
    if (!sub.onAck) {
      this.write({ type: "subscribe", conversation, after_seq: sub.lastSeq, ref: this.ref() });
      return;
    }
    this.request({ type: "subscribe", conversation, after_seq: sub.lastSeq }).then(sub.onAck, () => {});
  }

  unsubscribe(conversation) {
    if (!this.subscriptions.delete(conversation)) return;
    this.write({ type: "unsubscribe", conversation, ref: this.ref() });
  }

  send(conversation, body, clientMsgId = newClientMsgId(), extra = {}) {
    return new Promise((resolve, reject) => {
      const frame = { type: "send", conversation, body, client_msg_id: clientMsgId, ...extra, ref: this.ref() };
      this.pending.set(clientMsgId, { frame, resolve, reject });
      this.write(frame);
    });
  }
}

// A text the server's screen warned about (a patient's identifiers) is refused with
// `confirm_needed` and nothing is posted; the author is asked, and `resend` sends it again
// confirmed only if they agree. Any other refusal, or a "no", goes on to the caller.
export function confirmIfWarned(error, resend) {
  if (error && error.code === "confirm_needed" && window.confirm(`${error.message}\n\nPost it anyway?`)) return resend();
  return Promise.reject(error);
}

let shared = null;

// The page's one connection, opened on first use.
export function sharedConnection() {
  if (shared === null) {
    shared = new LiveConnection();
    shared.connect();
  }
  return shared;
}

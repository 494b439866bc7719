// The forum's live layer: on a thread's last page new posts, edits, deletions, reactions
// and lock changes appear without reloading; on thread lists the post and unread counts
// follow. Without scripts the pages work as plain HTML (reload to see changes).
import { localTime } from "./clock.js";
import { sharedConnection } from "./live.js";

const GLYPHS = { "+1": "👍", heart: "❤️", pray: "🙏", bulb: "💡", clap: "👏", raised_hands: "🙌" };
const LABELS = { "+1": "Agree", heart: "Love", pray: "Thank you", bulb: "Insightful", clap: "Applause", raised_hands: "Celebrate" };
const STATUS_TEXT = {
  connecting: "Connecting for live updates…",
  live: "Live: new posts appear as they are written.",
  reconnecting: "Connection lost; reconnecting…",
  "signed-out": "You were signed out. Reload the page to sign in again.",
};

const status = document.getElementById("live-status");
const live = sharedConnection();
live.addStatusListener((state) => { if (status) status.textContent = STATUS_TEXT[state] || ""; });
const csrfToken = document.querySelector("input[name=csrf_token]")?.value || "";
const me = document.getElementById("posts")?.dataset.me || "";

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

function hiddenInput(name, value) {
  return element("input", { type: "hidden", name, value });
}

function reactionForm(threadId, seq, emoji, count) {
  const button = element("button", { type: "submit", class: "reaction", "aria-pressed": "false", "data-emoji": emoji, "aria-label": `${LABELS[emoji]}: ${count}` },
    `${GLYPHS[emoji]} `, element("span", { class: "reaction-count" }, String(count)));
  return element("form", { method: "post", action: `/forum/threads/${threadId}/posts/${seq}/react`, class: "inline-form" },
    hiddenInput("csrf_token", csrfToken), hiddenInput("emoji", emoji), hiddenInput("on", "1"), button);
}

function fillBody(body, data) {
  if (data.deleted || data.hidden) {
    body.replaceChildren(element("em", {}, data.deleted ? "This post was deleted." : "This post was hidden by a moderator."));
    body.closest("article")?.classList.add("post-removed");
    body.closest("article")?.querySelector(".post-actions")?.remove();
  } else {
    // `html` is rendered and sanitized on the server (allowlist), never raw user HTML.
    body.innerHTML = data.html;
    body.closest("article")?.classList.remove("post-removed");
  }
}

function postArticle(threadId, data, canPost) {
  const time = element("time", { datetime: data.created_at }, localTime(data.created_at, { label: false }));
  const meta = element("header", { class: "post-meta", id: `p${data.seq}-meta` }, element("strong", { class: "post-author" }, data.author.name));
  if (data.author.pronouns) meta.append(" ", element("span", { class: "muted" }, `(${data.author.pronouns})`));
  meta.append(" ", element("a", { href: `?post=${data.seq}#p${data.seq}`, class: "post-link" }, time), " ", element("span", { class: "muted" }, `#${data.seq}`));
  if (data.reply_to) meta.append(" ", element("span", { class: "muted" }, "· in reply to ", element("a", { href: `?post=${data.reply_to}#p${data.reply_to}` }, `#${data.reply_to}`)));
  const body = element("div", { class: "post-body" });
  const article = element("article", { class: "post", id: `p${data.seq}`, "data-seq": String(data.seq), "aria-labelledby": `p${data.seq}-meta` }, meta, body);
  fillBody(body, data);
  if (!data.deleted && !data.hidden) {
    const reactions = element("div", { class: "reactions", role: "group", "aria-label": `Reactions to post ${data.seq}` });
    for (const emoji of Object.keys(GLYPHS)) reactions.append(reactionForm(threadId, data.seq, emoji, 0));
    const tools = element("div", { class: "post-tools" });
    if (canPost) {
      tools.append(element("a", { href: `?reply_to=${data.seq}#reply` }, "Reply"), " ", element("a", { href: `?quote=${data.seq}&reply_to=${data.seq}#reply` }, "Quote"));
    }
    if (String(data.author.id) !== me) {
      tools.append(" ", element("a", { href: `/moderation/flags/new?conversation=${data.conversation}&seq=${data.seq}`, "aria-label": `Flag the post of ${data.author.name} for the moderators` }, "Flag"));
    }
    article.append(element("footer", { class: "post-actions" }, reactions, tools));
  }
  return article;
}

function updateReactions(article, data) {
  for (const button of article.querySelectorAll("button.reaction")) {
    const emoji = button.dataset.emoji;
    const count = data.counts[emoji] || 0;
    button.querySelector(".reaction-count").textContent = String(count);
    button.setAttribute("aria-label", `${LABELS[emoji]}: ${count}`);
  }
}

function setLocked(locked) {
  document.getElementById("locked-badge")?.toggleAttribute("hidden", !locked);
  document.getElementById("locked-note")?.toggleAttribute("hidden", !locked);
  document.getElementById("reply-form")?.toggleAttribute("hidden", locked);
}

function followThread(posts) {
  const threadId = Number(posts.dataset.thread);
  const canPost = posts.dataset.canPost === "true";
  const isLive = posts.dataset.live === "true";
  live.subscribe(Number(posts.dataset.conversation), Number(posts.dataset.lastSeq), (frame) => {
    const data = frame.data;
    const article = data.seq ? document.getElementById(`p${data.seq}`) : null;
    if (frame.type === "message" && !article && isLive) {
      posts.append(postArticle(threadId, data, canPost));
    } else if (["edited", "deleted", "hidden", "unhidden"].includes(frame.type) && article) {
      fillBody(article.querySelector(".post-body"), data);
      if (frame.type === "edited" && !article.querySelector(".post-edited")) {
        article.querySelector(".post-meta").append(" ", element("span", { class: "muted post-edited" }, "(edited)"));
      }
    } else if (frame.type === "reaction" && article) {
      updateReactions(article, data);
    } else if (frame.type === "thread") {
      setLocked(Boolean(data.locked));
    }
  });
}

function followList(row) {
  const lastRead = Number(row.dataset.lastRead);
  live.subscribe(Number(row.dataset.conversation), Number(row.dataset.lastSeq), (frame) => {
    if (frame.type !== "message") return;
    const seq = frame.data.seq;
    row.dataset.lastSeq = String(seq);
    row.querySelector(".post-count").textContent = String(seq);
    const unread = row.querySelector(".unread-count");
    if (!unread.querySelector(".badge-new")) unread.replaceChildren(element("strong", {}, String(seq - lastRead)));
    const activity = row.querySelector(".last-activity");
    activity.replaceChildren(element("time", { datetime: frame.data.created_at }, localTime(frame.data.created_at)),
      element("br"), element("small", { class: "muted" }, frame.data.author.name));
    row.classList.add("thread-updated");
  });
}

const posts = document.getElementById("posts");
if (posts) followThread(posts);
for (const row of document.querySelectorAll("[data-live-threads] tr[data-conversation]")) followList(row);

// The navigation's unread-notifications badge, kept current by the page's one live
// connection (live.js): every socket hears its person's `notification` events without
// subscribing (docs/protocol.md). No script: the server-rendered count stays right until
// the next page load.
import { sharedConnection } from "./live.js";

const count = document.getElementById("notification-count");
// The same count on the phone's folded menu button (menu.js).
const menuCount = document.querySelector(".menu-toggle .menu-unread");

function putBadge(holder, number, words) {
  holder.replaceChildren();
  if (number > 0) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = String(number);
    const hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = words;
    badge.append(hidden);
    holder.append(" ", badge);
  }
}

function show(unread) {
  const number = Math.max(0, Math.trunc(Number(unread)) || 0);
  if (String(number) === count.dataset.unread) return; // unchanged: nothing to announce
  count.dataset.unread = String(number);
  putBadge(count, number, " unread");
  if (menuCount) putBadge(menuCount, number, " unread notifications");
}

async function refresh() {
  try {
    const response = await fetch("/notifications/unread", { headers: { Accept: "application/json" }, redirect: "error" });
    if (response.ok) show((await response.json()).unread);
  } catch {
    // Offline or signed out: the next event or page load puts the badge right.
  }
}

if (count) {
  const live = sharedConnection();
  live.on("notification", (frame) => show(frame.data.unread));
  // Events are not replayed after a reconnect, so ask for the count whenever the socket opens.
  live.addStatusListener((state) => { if (state === "live") refresh(); });
}

// The navigation's unread-notifications badge, kept current by the page's one live
// connection (live.js): every socket hears its person's `notification` events without
// subscribing (docs/protocol.md). No script: the server-rendered count stays right until
// the next page load.
import { sharedConnection } from "./live.js";

const count = document.getElementById("notification-count");

function show(unread) {
  const number = Math.max(0, Math.trunc(Number(unread)) || 0);
  if (String(number) === count.dataset.unread) return; // unchanged: nothing to announce
  count.dataset.unread = String(number);
  count.replaceChildren();
  if (number > 0) {
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = String(number);
    const words = document.createElement("span");
    words.className = "visually-hidden";
    words.textContent = " unread";
    badge.append(words);
    count.append(" ", badge);
  }
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

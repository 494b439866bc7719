// The unread badges of a team's channel list (the team page, and the channel page's other
// channels): while the page is open, a new top-level message from someone else raises the
// channel's count. Every channel in the list with a data-last-seq is watched from there.
import { sharedConnection } from "./live.js";

const nav = document.querySelector(".lab-channels[data-me]");
const watched = nav ? nav.querySelectorAll("li[data-last-seq]") : [];
if (watched.length) {
  const me = Number(nav.dataset.me);
  const live = sharedConnection();
  for (const item of watched) {
    const badge = item.querySelector(".badge");
    live.subscribe(Number(item.dataset.conversation), Number(item.dataset.lastSeq), (frame) => {
      if (frame.type !== "message" || frame.data.reply_to !== null || frame.data.author.id === me) return;
      const unread = Number(badge.dataset.unread) + 1;
      badge.dataset.unread = String(unread);
      badge.textContent = `${unread} unread`;
      badge.hidden = false;
    });
  }
}

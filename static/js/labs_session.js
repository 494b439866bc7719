// A lab session page: the team's readiness-check feedback, stage changes and the
// simultaneous report-out arrive live on the team's general channel (team-scoped events).
import { sharedConnection } from "./live.js";

const root = document.getElementById("lab-session");
const status = document.getElementById("live-status");
const session = Number(root.dataset.session);
const channels = root.dataset.channels ? root.dataset.channels.split(",").map(Number) : [];

function showAttempt(data) {
  const box = document.querySelector(`.team-question[data-question="${data.question}"][data-team="${data.team}"]`);
  if (!box) return;
  const item = document.createElement("li");
  item.className = data.correct ? "attempt-right" : "attempt-wrong";
  const button = box.querySelector(`button[value="${data.choice}"]`);
  const option = button ? button.textContent.trim() : `Option ${data.choice}`;
  item.textContent = `${option}: ${data.correct ? "right" : "not this one"} (${data.by})`;
  box.querySelector(".attempts").append(item);
  if (button) button.disabled = true;
  if (data.correct) box.querySelector("form")?.remove();
}

function showReveal(data) {
  const out = document.getElementById("report-out");
  const heading = document.createElement("h3");
  heading.textContent = "Report-out";
  const items = document.createElement("ul");
  for (const report of data.reports) {
    const item = document.createElement("li");
    const name = document.createElement("strong");
    name.textContent = report.team;
    item.append(name, `: ${report.report || "(no answer)"}`);
    items.append(item);
  }
  out.replaceChildren(heading, items);
}

function onEvent(frame) {
  if (frame.type !== "lab" || frame.data.session !== session) return;
  if (frame.op === "team_answer") showAttempt(frame.data);
  else if (frame.op === "revealed") showReveal(frame.data);
  else if (frame.op === "stage") {
    status.textContent = `The session moved on to: ${frame.data.stage}. Reload for the next step.`;
    const stage = document.getElementById("stage");
    stage.textContent = frame.data.stage;
  } else if (frame.op === "report_in") {
    const flag = document.querySelector(`[data-submitted="${frame.data.team}"]`);
    if (flag) flag.textContent = "answer in";
  }
}

const live = sharedConnection();
for (const conversation of channels) live.subscribe(conversation, 1e9, onEvent);

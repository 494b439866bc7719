// Times in the reader's zone, as the server writes them (artme_cop.zones): the zone is the
// one chosen on the account page, carried by <body data-time-zone>. Payloads carry UTC.

const zone = () => document.body.dataset.timeZone || "UTC";
const formats = new Map();

function parts(iso) {
  const key = zone();
  if (!formats.has(key)) {
    formats.set(key, new Intl.DateTimeFormat("en-US", {
      timeZone: key, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
    }));
  }
  const found = {};
  for (const part of formats.get(key).formatToParts(new Date(iso))) found[part.type] = part.value;
  return found;
}

// "2026-12-02 10:00" (dated) or "10:00", with the zone's abbreviation when `label`.
export function localTime(iso, { dated = true, label = true } = {}) {
  const p = parts(iso);
  const clock = `${p.hour}:${p.minute}`;
  const text = dated ? `${p.year}-${p.month}-${p.day} ${clock}` : clock;
  return label ? `${text} ${p.timeZoneName}` : text;
}

"""Security events as log lines (SEC-K1, SEC-F12), one per event, on the `artme_cop.security`
logger, for whoever watches the server's logs (the audit log in the database is for leads and
admins, and keeps the same acts):

    security event=sign_in outcome=ok person=12 address=203.0.113.9 second_step=yes

Callers pass ids, short codes and addresses, never a message's text, a password, a code, a
token or a cookie. Every value is reduced to printable characters without spaces, so no value
can end the line or forge a field of its own (log injection).
"""

from __future__ import annotations

import logging

log = logging.getLogger("artme_cop.security")

MAX_VALUE = 120
OK, FAILED, REFUSED = "ok", "failed", "refused"


def _value(value: object) -> str:
    if value is None or value == "":
        return "-"
    text = str(value)[:MAX_VALUE]
    return "".join(c if c.isprintable() and not c.isspace() and c not in '="' else "_" for c in text)


def event(name: str, *, outcome: str, person: int | None = None, address: str = "", **fields: object) -> None:
    """Write one line for a security event; WARNING for a refusal or failure, else INFO."""
    parts = [f"event={_value(name)}", f"outcome={_value(outcome)}", f"person={_value(person)}", f"address={_value(address)}"]
    parts += [f"{key}={_value(value)}" for key, value in fields.items()]
    log.log(logging.INFO if outcome == OK else logging.WARNING, "security %s", " ".join(parts))

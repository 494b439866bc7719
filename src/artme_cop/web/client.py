"""The client's address for rate limits and the audit log.

X-Forwarded-For is believed only from the proxies named in ARTME_TRUSTED_PROXIES (SEC-I4).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection


def client_address(request: HTTPConnection) -> str:
    peer = request.client.host if request.client else "unknown"
    trusted = request.app.state.settings.trusted_proxies
    if peer in trusted:
        forwarded = request.headers.get("x-forwarded-for", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        while hops and hops[-1] in trusted:
            hops.pop()
        if hops:
            return hops[-1][:64]
    return peer

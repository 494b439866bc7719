"""Domain errors raised by services.

They carry no HTTP status: `web/errors.py` maps them to pages and status codes, the
realtime gateway to error frames. A message is safe to show to the person who caused it.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Invalid(DomainError):
    code = "invalid"


class Conflict(DomainError):
    code = "conflict"


class ConfirmationNeeded(DomainError):
    """The text seems to hold something that must not be posted lightly (a patient's
    identifiers, SEC-L1): nothing was stored; the author may check it and send it again,
    confirmed."""

    code = "confirm_needed"


class Unavailable(DomainError):
    """A service the request needs (the malware scanner) does not answer; nothing was done."""

    code = "unavailable"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

"""Rate limits on sign-in, invitation acceptance and password resets (SEC-C3, SEC-I1), and
per-person budgets for the expensive requests: searches, markdown previews, uploads and data
exports (SEC-I3).

Moving-window limits from the `limits` library, kept in memory for one process or in Redis
when `ARTME_REDIS_URL` is set, so that every server process counts against the same budget.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.storage import storage_from_string
from limits.aio.strategies import MovingWindowRateLimiter

from artme_cop import security_log
from artme_cop.errors import RateLimited
from artme_cop.settings import Settings


@dataclass(frozen=True)
class Budget:
    """How many of one kind of expensive request a person may make (limits syntax), with what
    they are told when they run out."""

    name: str
    limit: str
    refusal: str


# Far above what a person does by hand (the editor's preview waits for a pause in typing),
# far below what a script needs to load the database.
SEARCH = Budget("search", "30/minute", "Too many searches in a short time.")
PREVIEW = Budget("preview", "120/minute", "Too many previews in a short time.")
UPLOAD = Budget("upload", "20/minute", "Too many files in a short time.")
EXPORT = Budget("export", "5/minute", "Too many downloads of your data in a short time.")


class RateLimiter:
    def __init__(self, storage: Storage, *, prefix: str = "artme") -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._storage = storage
        self._prefix = prefix

    async def spend(self, budget: Budget, person_id: int) -> None:
        """Count one expensive request of the person; RateLimited when their budget is spent."""
        await self.hit(budget.limit, budget.name, str(person_id), refusal=budget.refusal)

    async def hit(self, limit: str, *key: str, refusal: str = "Too many attempts.") -> None:
        """Count one attempt; raise RateLimited with the seconds to wait when over the limit."""
        item: RateLimitItem = parse(limit)
        identifiers = (self._prefix, *key)
        if await self._limiter.hit(item, *identifiers):
            return
        stats = await self._limiter.get_window_stats(item, *identifiers)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        # A log line, not an audit row: a refused request must stay cheap (SEC-I2, SEC-K1).
        security_log.event("rate_limited", outcome=security_log.REFUSED, limit=key[0] if key else "", key=key[1] if len(key) > 1 else "", retry_after=retry_after)
        raise RateLimited(f"{refusal} Wait a little and try again.", retry_after=retry_after)

    async def reset(self) -> None:
        await self._storage.reset()


def make_rate_limiter(settings: Settings, *, prefix: str = "artme") -> RateLimiter:
    if settings.redis_url:
        storage = storage_from_string(
            settings.redis_url.replace("redis://", "async+redis://", 1).replace("rediss://", "async+rediss://", 1),
            implementation="redispy",
            key_prefix=prefix,
        )
        return RateLimiter(storage, prefix=prefix)
    return RateLimiter(MemoryStorage(), prefix=prefix)

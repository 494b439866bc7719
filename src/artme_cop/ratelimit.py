"""Rate limits on sign-in, invitation acceptance and password resets (SEC-C3, SEC-I1).

Moving-window limits from the `limits` library, kept in memory for one process or in Redis
when `ARTME_REDIS_URL` is set, so that every server process counts against the same budget.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.storage import storage_from_string
from limits.aio.strategies import MovingWindowRateLimiter

from artme_cop.errors import RateLimited
from artme_cop.settings import Settings

log = logging.getLogger(__name__)


class RateLimiter:
    def __init__(self, storage: Storage, *, prefix: str = "artme") -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._storage = storage
        self._prefix = prefix

    async def hit(self, limit: str, *key: str) -> None:
        """Count one attempt; raise RateLimited with the seconds to wait when over the limit."""
        item: RateLimitItem = parse(limit)
        identifiers = (self._prefix, *key)
        if await self._limiter.hit(item, *identifiers):
            return
        stats = await self._limiter.get_window_stats(item, *identifiers)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        # A log line, not an audit row: a refused request must stay cheap (SEC-I2, SEC-K1).
        log.warning("rate limit %s reached for %s; retry after %d s", key[0] if key else "?", key[1] if len(key) > 1 else "?", retry_after)
        raise RateLimited("Too many attempts. Wait a little and try again.", retry_after=retry_after)

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

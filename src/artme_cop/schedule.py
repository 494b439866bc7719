"""The server's periodic jobs: each is a small loop started with the app that runs its job
soon after the start and then every `interval` seconds, until cancelled. A job runs in its
own transaction, so a failed run changed nothing; it is logged and the next run tries again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

log = logging.getLogger(__name__)

# The first run comes soon after a start, so frequent restarts never starve a job.
FIRST_RUN_DELAY = 60.0

Sleep = Callable[[float], Awaitable[None]]


async def run_every(job: Callable[[], Awaitable[object]], *, interval: float, what: str, sleep: Sleep = asyncio.sleep) -> None:
    await sleep(min(FIRST_RUN_DELAY, interval))
    while True:
        try:
            await job()
        except Exception:  # an outage (database, mail) must not end the schedule
            log.exception("%s failed; trying again at the next run", what)
        await sleep(interval)

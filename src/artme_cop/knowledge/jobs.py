"""The review-due check as the server runs it: a small loop started with the app that, every
`ARTME_DIGEST_INTERVAL` seconds (the same hourly rhythm as the notification digest), moves
shared resources past their review date to "update due", tells their stewards, and reminds
reviewers whose assessment time box is nearly over. `artme-cop knowledge review-due` runs the
same check once. The service decides what is due, so running it often changes nothing twice."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from artme_cop.knowledge import service
from artme_cop.schedule import Sleep, run_every
from artme_cop.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


async def check_review_due(uow: Callable[[], UnitOfWork]) -> tuple[int, int]:
    """One check in its own transaction; notifications leave after its commit."""
    async with uow() as unit:
        moved, reminded = await service.run_review_due(unit)
    if moved or reminded:
        log.info("knowledge review check: %d resource(s) due for update, %d reviewer reminder(s)", moved, reminded)
    return moved, reminded


async def run_review_schedule(uow: Callable[[], UnitOfWork], *, interval: float, sleep: Sleep = asyncio.sleep) -> None:
    """Check now and then until cancelled; a failed check is logged and the next one retries
    (a rolled-back check moved nothing and reminded nobody)."""
    await run_every(lambda: check_review_due(uow), interval=interval, what="knowledge review check", sleep=sleep)

"""The daily digest as the server runs it: a small loop started with the app that checks
every `ARTME_DIGEST_INTERVAL` seconds whether digests are due (the service decides who is
due, so a check sends each person at most one digest a day). `artme-cop notifications
digest` runs the same check once, for installations that prefer cron."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from artme_cop.clock import Clock
from artme_cop.notifications import service
from artme_cop.schedule import Sleep, run_every
from artme_cop.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


async def send_due_digests(uow: Callable[[], UnitOfWork], clock: Clock) -> int:
    """One check, in its own transaction; the mails leave after its commit."""
    async with uow() as unit:
        sent = await service.send_daily_digests(unit, clock.now())
    if sent:
        log.info("daily digest: %d mail(s) sent", sent)
    return sent


async def run_digest_schedule(uow: Callable[[], UnitOfWork], clock: Clock, *, interval: float, sleep: Sleep = asyncio.sleep) -> None:
    """Check for due digests now and then, until cancelled; a failed check is logged and the
    next one tries again (nobody is marked as sent by a check that rolled back)."""
    await run_every(lambda: send_due_digests(uow, clock), interval=interval, what="daily digest check", sleep=sleep)

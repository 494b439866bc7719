"""Commitment reminders as the server runs them: a small loop started with the app that
checks every `ARTME_DIGEST_INTERVAL` seconds for commitments whose check date has come
(each is reminded once). `artme-cop labs remind` runs the same check once, for cron."""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from artme_cop.clock import Clock
from artme_cop.labs import progress
from artme_cop.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

FIRST_CHECK_DELAY = 60.0

Sleep = Callable[[float], Awaitable[None]]


async def send_due_reminders(uow: Callable[[], UnitOfWork], clock: Clock) -> int:
    """One check, in its own transaction; notifications leave after its commit."""
    async with uow() as unit:
        sent = await progress.send_commitment_reminders(unit, clock.now())
    if sent:
        log.info("lab commitments: %d reminder(s) sent", sent)
    return sent


async def run_reminder_schedule(uow: Callable[[], UnitOfWork], clock: Clock, *, interval: float, sleep: Sleep = asyncio.sleep) -> None:
    """Check now and then until cancelled; a failed check is logged and retried next time
    (a commitment is marked reminded only by a check that committed)."""
    await sleep(min(FIRST_CHECK_DELAY, interval))
    while True:
        try:
            await send_due_reminders(uow, clock)
        except Exception:  # an outage must not end the schedule
            log.exception("lab commitment reminder check failed; trying again at the next check")
        await sleep(interval)

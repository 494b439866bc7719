"""Commitment reminders as the server runs them: a small loop started with the app that
checks every `ARTME_DIGEST_INTERVAL` seconds for commitments whose check date has come
(each is reminded once). `artme-cop labs remind` runs the same check once, for cron."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from artme_cop.clock import Clock
from artme_cop.labs import progress
from artme_cop.schedule import Sleep, run_every
from artme_cop.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


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
    await run_every(lambda: send_due_reminders(uow, clock), interval=interval, what="lab commitment reminder check", sleep=sleep)

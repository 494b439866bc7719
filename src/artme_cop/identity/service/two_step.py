"""Two-step sign-in (SEC-C7): after the password, a six-digit code from an authenticator app
(TOTP, RFC 6238, 30-second steps) or one of ten single-use recovery codes.

- Setting up is two moves: `begin_setup` stores a new secret, unconfirmed, and
  `confirm_setup` confirms it with a first code and hands out the recovery codes, once
  (only their SHA-256 is kept). An unconfirmed secret asks nothing at sign-in.
- `check_code` accepts a code of the current step or one step either side (clocks drift),
  and never a code of a step at or before the last accepted one, so an overheard code
  cannot be replayed. A recovery code is used up.
- Turning it off needs the password and a code; an admin or lead turns off someone else's
  (a lost phone and lost recovery codes) under `two_step.reset`. Every change, and every
  failed code, is in the audit log, and every change ends the person's other sessions.

Whether a person's role needs it is the policy's (`needs_two_step`); whether the
installation requires it is `ARTME_REQUIRE_TWO_STEP`, enforced where sessions are read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp
from sqlalchemy import delete, func, select, update

from artme_cop import policy
from artme_cop.errors import Conflict, Invalid, NotFound
from artme_cop.identity import passwords
from artme_cop.identity.models import Person, RecoveryCode, TwoStepSecret
from artme_cop.identity.service._shared import _bump_epoch, _person, _row
from artme_cop.identity.service.sessions import actors_for
from artme_cop.moderation import service as audit
from artme_cop.policy import Action, Actor
from artme_cop.unit_of_work import UnitOfWork

ISSUER = "ARTME Community"
STEP_SECONDS = 30
RECOVERY_CODES = 10
WRONG_CODE = "That code is not right. Type the six digits your app shows now, or one of your recovery codes."


@dataclass(frozen=True)
class Setup:
    secret: str
    uri: str  # otpauth:// for the app's QR scanner


async def is_on(uow: UnitOfWork, person_id: int) -> bool:
    secret = await uow.session.get(TwoStepSecret, person_id)
    return secret is not None and secret.confirmed_at is not None


async def setup_in_progress(uow: UnitOfWork, actor: Actor) -> Setup | None:
    """The unconfirmed secret the actor is setting up, if any."""
    secret = await uow.session.get(TwoStepSecret, actor.person_id)
    if secret is None or secret.confirmed_at is not None:
        return None
    return await _setup(uow, actor, secret.secret)


async def begin_setup(uow: UnitOfWork, actor: Actor) -> Setup:
    """Store a new secret for the actor (replacing a setup not finished). Conflict when on."""
    secret = await uow.session.get(TwoStepSecret, actor.person_id)
    if secret is not None and secret.confirmed_at is not None:
        raise Conflict("Two-step sign-in is already on.")
    value = pyotp.random_base32()
    if secret is None:
        uow.session.add(TwoStepSecret(person_id=actor.person_id, secret=value, created_at=uow.clock.now(), last_step=0))
    else:
        secret.secret, secret.created_at = value, uow.clock.now()
    return await _setup(uow, actor, value)


async def _setup(uow: UnitOfWork, actor: Actor, secret: str) -> Setup:
    person = await _person(uow, actor.person_id)
    return Setup(secret, pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=person.email, issuer_name=ISSUER))


async def confirm_setup(uow: UnitOfWork, actor: Actor, code: object) -> tuple[list[str], int]:
    """Turn two-step sign-in on with a first code; returns the recovery codes (shown once)
    and the new session epoch (other sessions end). Invalid for a wrong code."""
    secret = await uow.session.get(TwoStepSecret, actor.person_id)
    if secret is None or secret.confirmed_at is not None:
        raise Conflict("There is no two-step setup to finish. Start again from your account page.")
    step = _matching_step(uow, secret, _digits(code))
    if step is None:
        raise Invalid(WRONG_CODE, field="code")
    secret.confirmed_at, secret.last_step = uow.clock.now(), step
    codes = await _new_recovery_codes(uow, actor.person_id)
    await _record(uow, actor.person_id, actor.person_id, "two_step_on")
    return codes, await _bump_epoch(uow, actor.person_id)


async def check_code(uow: UnitOfWork, person_id: int, code: object, *, address: str = "") -> bool:
    """Whether `code` is the person's current app code or an unused recovery code; uses it up.
    A wrong code is written to the audit log (with the caller's address)."""
    secret = await uow.session.get(TwoStepSecret, person_id)
    if secret is None or secret.confirmed_at is None:
        return False
    step = _matching_step(uow, secret, _digits(code)) if _looks_like_app_code(code) else None
    if step is not None and await _claim_step(uow, person_id, step):
        return True
    if await _use_recovery_code(uow, person_id, code):
        await _record(uow, person_id, person_id, "two_step_recovery_code_used", address=address)
        return True
    await _record(uow, None, person_id, "two_step_failed", address=address)
    return False


async def turn_off(uow: UnitOfWork, actor: Actor, *, password: object, code: object) -> int:
    """Turn the actor's two-step sign-in off; needs the password and a code. The new epoch."""
    person = await _person(uow, actor.person_id)
    if not await is_on(uow, actor.person_id):
        raise Conflict("Two-step sign-in is off already.")
    if not isinstance(password, str) or not await passwords.verify_password_async(person.password_hash, password):
        raise Invalid("Your password is not correct.", field="password")
    _digits(code)
    if not await check_code(uow, actor.person_id, code):
        raise Invalid(WRONG_CODE, field="code")
    await _remove(uow, actor.person_id)
    await _record(uow, actor.person_id, actor.person_id, "two_step_off")
    return await _bump_epoch(uow, actor.person_id)


async def reset_for(uow: UnitOfWork, actor: Actor, person_id: object) -> None:
    """Turn off someone else's two-step sign-in and end their sessions.

    Who: `two_step.reset` (admins; a lead for people of their school without a lead's or
    admin's role). NotFound alike for a missing person and one the actor may not reset.
    """
    person = await _row(uow, Person, person_id)
    if person is None or not await may_reset(uow, actor, person.id):
        raise NotFound("person")
    if not await is_on(uow, person.id):
        raise Conflict("Two-step sign-in is not on for this person.")
    await _remove(uow, person.id)
    await _record(uow, actor.person_id, person.id, "two_step_reset")
    await _bump_epoch(uow, person.id)


async def may_reset(uow: UnitOfWork, actor: Actor, person_id: int) -> bool:
    targets = await actors_for(uow, [person_id])
    return bool(targets) and policy.can(actor, Action.TWO_STEP_RESET, targets[0])


def _digits(code: object) -> str:
    if not isinstance(code, str):
        raise Invalid("Type the code.", field="code")
    cleaned = "".join(code.split())
    if not cleaned or len(cleaned) > 32:
        raise Invalid("Type the six digits your app shows, or a recovery code.", field="code")
    return cleaned


def _looks_like_app_code(code: object) -> bool:
    return isinstance(code, str) and _is_six_digits("".join(code.split()))


def _is_six_digits(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


def _matching_step(uow: UnitOfWork, secret: TwoStepSecret, code: str) -> int | None:
    """The step (current, or one either side) whose code this is, if later than the last used."""
    if not _is_six_digits(code):
        return None
    totp = pyotp.TOTP(secret.secret, interval=STEP_SECONDS)
    current = int(uow.clock.now().timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if step > secret.last_step and hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


async def _claim_step(uow: UnitOfWork, person_id: int, step: int) -> bool:
    """Record the step as used, unless a request at the same moment used it (or a later one)
    first: one atomic UPDATE, so a code works once even when sent twice at once."""
    claimed = await uow.session.execute(
        update(TwoStepSecret).where(TwoStepSecret.person_id == person_id, TwoStepSecret.last_step < step).values(last_step=step)
    )
    return bool(claimed.rowcount)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normal_recovery(code: object) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum()) if isinstance(code, str) else ""


async def _new_recovery_codes(uow: UnitOfWork, person_id: int) -> list[str]:
    await uow.session.execute(delete(RecoveryCode).where(RecoveryCode.person_id == person_id))
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]  # 40 bits each, single use
    uow.session.add_all(RecoveryCode(person_id=person_id, code_hash=_hash(code)) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


async def _use_recovery_code(uow: UnitOfWork, person_id: int, code: object) -> bool:
    normal = _normal_recovery(code)
    if len(normal) != 10:
        return False
    used = await uow.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.person_id == person_id, RecoveryCode.code_hash == _hash(normal), RecoveryCode.used_at.is_(None))
        .values(used_at=uow.clock.now())
    )
    return bool(used.rowcount)


async def recovery_codes_left(uow: UnitOfWork, person_id: int) -> int:
    query = select(func.count()).select_from(RecoveryCode).where(RecoveryCode.person_id == person_id, RecoveryCode.used_at.is_(None))
    return int((await uow.session.execute(query)).scalar_one())


async def _remove(uow: UnitOfWork, person_id: int) -> None:
    await uow.session.execute(delete(RecoveryCode).where(RecoveryCode.person_id == person_id))
    await uow.session.execute(delete(TwoStepSecret).where(TwoStepSecret.person_id == person_id))


async def _record(uow: UnitOfWork, actor_id: int | None, person_id: int, action: str, *, address: str = "") -> None:
    person = await uow.session.get(Person, person_id)
    institution_id = person.institution_id if person is not None else None
    audit.record(uow, actor_id=actor_id, action=action, institution_id=institution_id, target_kind="person", target_id=person_id, address=address)

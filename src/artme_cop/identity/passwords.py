"""Password hashing (Argon2id through argon2-cffi) and the rules a new password must meet.

Verification is exact: no truncation or case folding. A new password is refused when it is
short, very common, built from the person's own name, email or the program's name, or easy
to guess by zxcvbn's estimate, which knows the 30,000 most common leaked passwords, common
words and names, keyboard patterns, dates, repeats and sequences (SEC-C1, SEC-C2).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from artme_cop.errors import Invalid

MIN_LENGTH = 10
MAX_LENGTH = 256
# zxcvbn's scale runs 0-4; 3 is "safely unguessable" against an online attack and a slow
# offline one. Its matching grows faster than the length, so it reads at most the first 72
# characters (its own limit): a longer password is stronger than its start anyway.
MIN_STRENGTH = 3
STRENGTH_PREFIX = 72

_hasher = PasswordHasher()
# Argon2 takes tens of MiB per hash, and glibc keeps freed memory in the arena of the thread
# that used it: a pool of its own, no wider than the machine's two cores need, bounds what
# sign-ins leave resident (the default executor has several threads, each its own arena).
_argon2_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")

_COMMON = frozenset(
    """
    password password1 password12 password123 password1234 passw0rd123 123456789 1234567890
    12345678910 qwertyuiop qwerty1234 qwerty123456 1q2w3e4r5t 1qaz2wsx3edc abc1234567
    iloveyou12 letmein123 welcome123 welcome1234 changeme123 administrator admin12345
    trustno1234 football12 baseball12 sunshine12 princess12 dragon1234 monkey1234
    medschool1 medschool123 medicine123 doctor1234 hospital123 student123 faculty123
    artme12345 artmeartme antiracist anti-racist antiracism123 0987654321 1111111111
    aaaaaaaaaa zaq12wsxcde asdfghjkl1 asdfghjkl123 zxcvbnm123 superman12 starwars12
    """.split()
)
_CONTEXT_WORDS = ("artme", "medschool", "medicalschool", "password", "communityofpractice")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_async(password: str) -> str:
    """Hash in a worker thread: Argon2 takes ~0.1 s of CPU and must not stall live rooms."""
    return await asyncio.get_running_loop().run_in_executor(_argon2_threads, hash_password, password)


async def verify_password_async(password_hash: str, password: str) -> bool:
    """Verify in a worker thread (argon2-cffi releases the GIL), for the same reason."""
    return await asyncio.get_running_loop().run_in_executor(_argon2_threads, verify_password, password_hash, password)


def unusable_hash() -> str:
    """A value no password verifies against (for deleted accounts)."""
    return "!unusable"


def check_new_password(password: object, *, context: tuple[str, ...] = (), field: str = "password") -> str:
    """Return the password if it may be used, else raise Invalid with the reason."""
    if not isinstance(password, str) or not password:
        raise Invalid("Choose a password.", field=field)
    if len(password) < MIN_LENGTH:
        raise Invalid(f"Use at least {MIN_LENGTH} characters.", field=field)
    if len(password) > MAX_LENGTH:
        raise Invalid(f"Use at most {MAX_LENGTH} characters.", field=field)
    folded = password.casefold()
    compact = "".join(ch for ch in folded if ch.isalnum())
    if folded in _COMMON or compact in _COMMON or len(set(password)) < 4:
        raise Invalid("This password is too common; choose another.", field=field)
    words = [w.casefold() for w in context if len(w) >= 4] + list(_CONTEXT_WORDS)
    if any(word.replace(" ", "") in compact and len(compact) - len(word) < 6 for word in words):
        raise Invalid("Don't build the password from your name, email or the program's name.", field=field)
    estimate = zxcvbn(password[:STRENGTH_PREFIX], user_inputs=words)
    if estimate["score"] < MIN_STRENGTH:
        why = estimate["feedback"]["warning"] or "It follows a pattern that is tried early."
        raise Invalid(f"This password is too easy to guess. {why} Add a few uncommon words.", field=field)
    return password


async def check_new_password_async(password: object, *, context: tuple[str, ...] = (), field: str = "password") -> str:
    """`check_new_password` in a worker thread: the strength estimate can take tens of
    milliseconds of CPU, which live rooms must not wait for."""
    return await asyncio.get_running_loop().run_in_executor(_argon2_threads, lambda: check_new_password(password, context=context, field=field))

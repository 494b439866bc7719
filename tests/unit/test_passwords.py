"""Password hashing and the rules for new passwords (SEC-C1, SEC-C2)."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters

from artme_cop.errors import Invalid
from artme_cop.identity import passwords

# 64 characters from several scripts, with an emoji and spaces (SEC-C1: any characters).
UNICODE_64 = "Ωμέγα ñandú 雪山 Ключ 🦉 לילה عربى çàüß " + "x" * 27
assert len(UNICODE_64) == 64


@pytest.fixture(scope="module")
def unicode_hash() -> str:
    return passwords.hash_password(UNICODE_64)


def test_hash_is_argon2id_and_not_the_password(unicode_hash: str) -> None:
    assert unicode_hash.startswith("$argon2id$")
    assert UNICODE_64 not in unicode_hash
    assert passwords.hash_password(UNICODE_64) != unicode_hash  # salted


def test_new_hashes_use_full_strength_parameters(unicode_hash: str) -> None:
    """The test world's accounts carry a minimal-cost hash (tests/factories.py); what the app
    hashes must not: at least RFC 9106's second recommended option (64 MiB, 3 passes)."""
    parameters = extract_parameters(unicode_hash)
    assert parameters.memory_cost >= 65536 and parameters.time_cost >= 3


def test_64_character_unicode_password_verifies(unicode_hash: str) -> None:
    assert passwords.check_new_password(UNICODE_64) == UNICODE_64
    assert passwords.verify_password(unicode_hash, UNICODE_64)


@pytest.mark.parametrize(
    "attempt",
    [
        UNICODE_64[:-1],  # last character removed: no truncation
        UNICODE_64 + "x",
        UNICODE_64.upper(),  # no case folding
        UNICODE_64.replace("ñ", "n\u0303"),  # the same text in another normal form is another password
        "",
    ],
    ids=["shorter", "longer", "upper", "nfd", "empty"],
)
def test_verification_is_exact(unicode_hash: str, attempt: str) -> None:
    assert not passwords.verify_password(unicode_hash, attempt)


def test_long_passwords_are_not_truncated() -> None:
    long = "Marigold " * 28  # 252 characters, past any 72-byte bcrypt-style limit
    hashed = passwords.hash_password(long)
    assert passwords.verify_password(hashed, long)
    assert not passwords.verify_password(hashed, long[:72])
    assert not passwords.verify_password(hashed, long[:-1])


@pytest.mark.parametrize("stored", [passwords.unusable_hash(), "", "plaintext", "$argon2id$v=19$broken"])
def test_nothing_verifies_against_an_unusable_hash(stored: str) -> None:
    assert not passwords.verify_password(stored, "")
    assert not passwords.verify_password(stored, stored)
    assert not passwords.verify_password(stored, "Plum orchard 47 lanterns")


def test_length_rules() -> None:
    assert passwords.check_new_password("Kd9#fj2qLm") == "Kd9#fj2qLm"  # exactly MIN_LENGTH
    with pytest.raises(Invalid, match="at least"):
        passwords.check_new_password("Kd9#fj2")
    assert len(passwords.check_new_password("Kd9#fj2q" * 32)) == passwords.MAX_LENGTH
    with pytest.raises(Invalid, match="at most"):
        passwords.check_new_password("Kd9#fj2q" * 32 + "z")


@pytest.mark.parametrize("value", [None, "", 12345678901, b"bytes-password-123"])
def test_missing_or_non_text_password_is_refused(value: object) -> None:
    with pytest.raises(Invalid) as caught:
        passwords.check_new_password(value, field="new_password")
    assert caught.value.field == "new_password"


@pytest.mark.parametrize(
    "common",
    ["password123", "Password123", "PASSWORD1234", "pass word 123", "qwertyuiop", "1234567890", "iloveyou12", "medschool123", "zzzzzzzzzzzz", "abababababab"],
)
def test_common_passwords_are_refused(common: str) -> None:
    """SEC-C2: very common passwords and near-repeats are refused with a reason."""
    with pytest.raises(Invalid, match="too common") as caught:
        passwords.check_new_password(common)
    assert caught.value.field == "password"


@pytest.mark.parametrize(
    ("password", "context"),
    [
        ("Artme2024!!", ()),
        ("my-medschool-1", ()),
        ("MedicalSchool#7", ()),
        ("Alder School of Medicine", ("Alder School of Medicine",)),
        ("Alder!2025", ("Alder School of Medicine", "Alder")),
        ("Samantha1984", ("samantha", "Samantha", "Okafor")),
        ("okafor.2024!", ("samantha", "Samantha", "Okafor")),
    ],
)
def test_context_passwords_are_refused(password: str, context: tuple[str, ...]) -> None:
    """SEC-C2: passwords built from the program's name, the school's or the person's own."""
    with pytest.raises(Invalid, match="name"):
        passwords.check_new_password(password, context=context)


@pytest.mark.parametrize(
    ("password", "context"),
    [
        ("Plum orchard 47 lanterns", ("Alder School of Medicine", "Sam", "Student")),
        ("Samantha walks past 9 quiet rivers", ("Samantha",)),  # the name is a small part of it
        ("correct horse battery staple", ()),
    ],
)
def test_good_passwords_are_accepted(password: str, context: tuple[str, ...]) -> None:
    assert passwords.check_new_password(password, context=context) == password


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Summer2024!", "similar to a commonly used password"),
        ("letmein2024!", "similar to a commonly used password"),
        ("abcdefghij1", "Sequences"),
        ("xyz1xyz1xyz1", "Repeats"),
        ("qazwsxedcrfv", "very common password"),
        ("Samantha1990", "easy to guess"),
    ],
)
def test_easily_guessed_passwords_are_refused_with_the_reason(password: str, reason: str) -> None:
    """SEC-C2 (zxcvbn): leaked and patterned passwords beyond the short list, with advice."""
    with pytest.raises(Invalid, match="too easy to guess") as caught:
        passwords.check_new_password(password)
    assert reason in caught.value.message and "Add a few uncommon words" in caught.value.message


def test_the_strength_estimate_reads_a_bounded_prefix() -> None:
    """SEC-J5: the estimate's cost does not grow past 72 characters: a 256-character password
    costs about what its first 72 do (CPU time compared within one run)."""
    import time

    def cost(password: str) -> float:
        start = time.process_time()
        for _ in range(5):
            passwords.check_new_password(password)
        return time.process_time() - start

    long, prefix = "Kd9#fj2q" * 32, ("Kd9#fj2q" * 32)[:72]
    cost(prefix)  # warm
    assert cost(long) < 3 * cost(prefix) + 0.05

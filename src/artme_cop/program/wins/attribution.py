"""How a win is attributed, as pure rules (no I/O).

- A credited person is named only after they consent; until then, and after a refusal,
  they are "a team member".
- Outside its school a win exists only when the school's lead shared it:
  - shared by name: the school's name, and the consenting people's names;
  - shared as "a partner school": the words "A partner school" and nothing that names the
    school or its people (no credited names, no recorder, no target);
  - kept local (or not yet decided): it does not exist outside the school.
- Text shared as "a partner school" may not contain the school's name or short name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from artme_cop.errors import Invalid
from artme_cop.program.wins.models import Consent, Sharing

TEAM_MEMBER = "a team member"
PARTNER_SCHOOL = "A partner school"
SHARED = frozenset({Sharing.NAMED.value, Sharing.PARTNER.value})


def credit_label(name: str, consent: str) -> str:
    return name if consent == Consent.GIVEN.value else TEAM_MEMBER


def school_label(sharing: str, school_name: str) -> str:
    if sharing == Sharing.NAMED.value:
        return school_name
    if sharing == Sharing.PARTNER.value:
        return PARTNER_SCHOOL
    raise ValueError("a win kept in its school has no attribution outside it")


@dataclass(frozen=True)
class PublicWin:
    """A shared win as anyone in the consortium sees it, on pages and in exports alike."""

    public_id: str
    title: str
    evidence: str
    theme: str
    phase: int
    school: str
    credited: tuple[str, ...]
    shared_at: datetime | None
    curated: bool
    curated_phase: int | None
    curated_theme: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.public_id,
            "title": self.title,
            "evidence": self.evidence,
            "theme": self.theme,
            "phase": self.phase,
            "school": self.school,
            "credited": list(self.credited),
            # the day only, as on the pages: an exact time would line up with a school's log
            "shared_on": self.shared_at.date().isoformat() if self.shared_at else None,
            "curated": self.curated,
            "curated_phase": self.curated_phase,
            "curated_theme": self.curated_theme,
        }


def public_win(
    *, public_id: str, title: str, evidence: str, theme: str, phase: int, sharing: str, school_name: str,
    credits: list[tuple[str, str]], shared_at: datetime | None, curated_at: datetime | None, curated_phase: int | None, curated_theme: str | None,
) -> PublicWin:
    """The outside view of a shared win; `credits` are (name, consent) pairs."""
    school = school_label(sharing, school_name)
    credited = tuple(credit_label(name, consent) for name, consent in credits) if sharing == Sharing.NAMED.value else ()
    return PublicWin(public_id, title, evidence, theme, phase, school, credited, shared_at, curated_at is not None, curated_phase, curated_theme)


def check_partner_text(texts: list[str], names: list[str]) -> None:
    """Refuse partner-school sharing while the win's own words name the school."""
    for name in names:
        folded = name.strip().casefold()
        if folded and any(folded in text.casefold() for text in texts):
            raise Invalid(
                "The title or evidence names the school, so it cannot be shared as “a partner school”. "
                "Share it by name, keep it local, or record the win again without the school's name.",
                field="sharing",
            )

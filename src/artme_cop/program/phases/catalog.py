"""The six phases of the ARTME change strategy and the exit checklist of each (DOMAIN.md).

Plain data and one pure helper, no I/O. The names follow the forum's phase categories
(`forum/defaults.py`); the checklist items are the program's own wording of what a cohort
has done before it leaves a phase. A checklist item is identified by its key, which the
marks table stores, so the wording can be improved without losing marks.
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_PHASE = 1
LAST_PHASE = 6


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    text: str


@dataclass(frozen=True)
class Phase:
    number: int
    name: str
    summary: str
    checklist: tuple[ChecklistItem, ...]


def _items(*pairs: tuple[str, str]) -> tuple[ChecklistItem, ...]:
    return tuple(ChecklistItem(key, text) for key, text in pairs)


PHASES: tuple[Phase, ...] = (
    Phase(1, "Onboarding and Assessment", "The cohort forms, meets the program and assesses its readiness for change.", _items(
        ("cohort-formed", "The cohort is formed, with students, trainees, staff, faculty and leadership"),
        ("agreements", "The community agreement is discussed and accepted"),
        ("readiness-survey", "The readiness assessment is answered and closed"),
        ("readiness-debrief", "The readiness results are discussed with the coach"),
    )),
    Phase(2, "Preparing for Change", "The case for change is framed and the guiding coalition is formed.", _items(
        ("case-for-change", "The case for change is written"),
        ("coalition-formed", "The guiding coalition and its spheres are formed"),
        ("first-targets", "First change targets are drafted"),
    )),
    Phase(3, "Creating a Climate for Change", "Chats for Change and dialogue and framing sessions build a shared language.", _items(
        ("first-chat", "A first Chats for Change session is held"),
        ("facilitators-trained", "Facilitator pairs are trained, with a student co-facilitator"),
        ("harvest-shared", "A harvest is reviewed and shared with the cohort"),
    )),
    Phase(4, "Engaging and Enabling the Institution for Change", "Team learning labs engage units across the school and remove barriers.", _items(
        ("labs-started", "Team learning labs are under way in at least one unit"),
        ("barriers-named", "Barriers to the change targets are named, with owners"),
        ("short-term-win", "A first short-term win is recorded"),
    )),
    Phase(5, "Implementing and Sustaining Change", "Changes are made to stick: policies, practices and monitoring.", _items(
        ("plans-in-motion", "Tactical plans are in motion for each target"),
        ("monitoring", "Outcome and performance monitoring is in place"),
        ("sustainment", "A plan to sustain the changes after the program is agreed"),
    )),
    Phase(6, "Building a Community of Practice", "Schools share what worked, what did not, and why; the program ends with a conference.", _items(
        ("lessons-shared", "Lessons learned are shared in the knowledge repository"),
        ("conference", "The cohort takes part in the closing conference"),
    )),
)


def phase(number: int) -> Phase | None:
    """The phase with this number, or None."""
    return PHASES[number - 1] if FIRST_PHASE <= number <= LAST_PHASE else None


def checklist_item(number: int, key: str) -> ChecklistItem | None:
    found = phase(number)
    if found is None:
        return None
    return next((item for item in found.checklist if item.key == key), None)

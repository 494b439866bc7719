"""The categories every installation starts with: the program's six phases, then the
general ones (DOMAIN.md). Inserted by migration 0003; admins edit them afterwards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

DEFAULT_CATEGORIES: tuple[tuple[str, str, int | None, str], ...] = (
    ("onboarding-and-assessment", "Onboarding and Assessment", 1, "Getting started: the readiness assessment, forming the guiding coalition, first questions."),
    ("preparing-for-change", "Preparing for Change", 2, "Framing the case for change, change targets and the first plans."),
    ("creating-a-climate-for-change", "Creating a Climate for Change", 3, "Chats for Change, dialogue and framing: what a cohort tried and learned."),
    ("engaging-and-enabling-the-institution", "Engaging and Enabling the Institution", 4, "Team learning labs, removing barriers, engaging units across the school."),
    ("implementing-and-sustaining-change", "Implementing and Sustaining Change", 5, "Making changes stick: policies, practices and monitoring."),
    ("building-a-community-of-practice", "Building a Community of Practice", 6, "Sharing across schools: what worked, what did not, and why."),
    ("introductions", "Introductions", None, "Say hello: who you are, your school and what brings you here."),
    ("short-term-wins", "Short-term wins", None, "Visible, unambiguous improvements worth celebrating and sharing."),
    ("questions-for-the-consortium", "Questions for the consortium", None, "Ask the other schools: how did you handle it?"),
)


def default_category_rows(now: datetime) -> list[dict[str, Any]]:
    return [
        {"slug": slug, "name": name, "phase": phase, "description": description, "position": (index + 1) * 10, "start_rule": "everyone", "created_at": now}
        for index, (slug, name, phase, description) in enumerate(DEFAULT_CATEGORIES)
    ]

"""Intents of the readiness assessment: opening and closing a cohort's survey, answering it
anonymously, and the suppressed results.

Anonymity is kept in the storage itself (see `models.py`): an answer is written without
the person, without a time, and the survey's answers are rewritten in a fresh random order
with fresh random ids at every new answer, so neither row order, ids nor (on PostgreSQL)
the inserting transaction tie an answer to its "has answered" row. The survey row is
locked first, so answers to one survey are written one at a time. Nothing about an answer
is logged or audited.

Results go only to the school's lead and the cohort's coach (`readiness.results`), only
after the survey is closed (so successive looks cannot be subtracted to isolate one new
answer), and only through `aggregates.summarise`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Mapping

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from artme_cop import policy
from artme_cop.errors import Conflict, Invalid, NotFound
from artme_cop.identity.models import Cohort, Constituency, Institution
from artme_cop.moderation import service as audit
from artme_cop.policy import Action, Actor, CohortRef
from artme_cop.program.parsing import id_or_none
from artme_cop.program.readiness import aggregates
from artme_cop.program.readiness.aggregates import ITEMS, SCALE, Results
from artme_cop.program.readiness.models import Answered, Response, Survey
from artme_cop.text import clean_line
from artme_cop.unit_of_work import UnitOfWork

COMMENT_LIMIT = 2000
CONSTITUENCY_ORDER = tuple(c.value for c in Constituency)


def _ref(cohort: Cohort) -> CohortRef:
    return CohortRef(cohort.id, cohort.institution_id)


@dataclass(frozen=True)
class SurveyView:
    survey: Survey
    cohort: Cohort
    institution: Institution
    has_answered: bool
    can_answer: bool
    can_manage: bool
    can_see_results: bool

    @property
    def is_open(self) -> bool:
        return self.survey.closed_at is None


async def _view(uow: UnitOfWork, actor: Actor, survey: Survey, cohort: Cohort) -> SurveyView:
    institution = await uow.session.get(Institution, cohort.institution_id)
    assert institution is not None
    answered = await uow.session.get(Answered, (survey.id, actor.person_id)) is not None
    ref = _ref(cohort)
    return SurveyView(
        survey,
        cohort,
        institution,
        answered,
        policy.can(actor, Action.READINESS_ANSWER, ref) and not answered and survey.closed_at is None,
        policy.can(actor, Action.READINESS_MANAGE, ref),
        policy.can(actor, Action.READINESS_RESULTS, ref),
    )


async def access_survey(uow: UnitOfWork, actor: Actor, survey_id: object) -> SurveyView:
    """A survey, if the actor may see it (`readiness.view`); NotFound for missing and hidden."""
    number = id_or_none(survey_id)
    survey = await uow.session.get(Survey, number) if number is not None else None
    cohort = await uow.session.get(Cohort, survey.cohort_id) if survey is not None else None
    if survey is None or cohort is None or not policy.can(actor, Action.READINESS_VIEW, _ref(cohort)):
        raise NotFound("survey")
    return await _view(uow, actor, survey, cohort)


async def list_surveys(uow: UnitOfWork, actor: Actor) -> list[SurveyView]:
    """Surveys of the cohorts the actor is in, coaches, facilitates or leads, newest first."""
    query = (
        select(Survey, Cohort)
        .join(Cohort, Cohort.id == Survey.cohort_id)
        .where(policy.cohort_oversight_clause(actor, Cohort.id, Cohort.institution_id))
        .order_by(Survey.created_at.desc(), Survey.id.desc())
        .limit(100)
    )
    return [await _view(uow, actor, survey, cohort) for survey, cohort in (await uow.session.execute(query)).all()]


async def manageable_cohorts(uow: UnitOfWork, actor: Actor) -> list[Cohort]:
    """Cohorts the actor may open a survey for."""
    query = select(Cohort).where(policy.cohort_oversight_clause(actor, Cohort.id, Cohort.institution_id)).order_by(Cohort.institution_id, Cohort.name)
    return [c for c in (await uow.session.execute(query)).scalars() if policy.can(actor, Action.READINESS_MANAGE, _ref(c))]


async def open_survey(uow: UnitOfWork, actor: Actor, *, cohort_id: object, title: object) -> Survey:
    """Open a readiness survey for a cohort. Who: `readiness.manage` (the cohort's coach, the
    school's lead, admins). Audit: readiness_opened. Raises: Invalid (an unknown cohort and
    one the actor may not manage give the same error)."""
    clean_title = clean_line(title, field="title", label="The title", max_length=200)
    number = id_or_none(cohort_id)
    cohort = await uow.session.get(Cohort, number) if number is not None else None
    if cohort is None or not policy.can(actor, Action.READINESS_MANAGE, _ref(cohort)):
        raise Invalid("Choose one of the listed cohorts.", field="cohort_id")
    survey = Survey(cohort_id=cohort.id, title=clean_title, created_by_id=actor.person_id, created_at=uow.clock.now())
    uow.session.add(survey)
    await uow.flush()
    audit.record(uow, actor_id=actor.person_id, action="readiness_opened", institution_id=cohort.institution_id, target_kind="survey", target_id=survey.id, detail={"title": clean_title, "cohort": cohort.id})
    return survey


async def close_survey(uow: UnitOfWork, actor: Actor, survey_id: object) -> Survey:
    """Close a survey for good (no reopening: results are computed once). Who:
    `readiness.manage`. Audit: readiness_closed. Raises: NotFound, Forbidden."""
    view = await access_survey(uow, actor, survey_id)
    policy.require(actor, Action.READINESS_MANAGE, _ref(view.cohort))
    if view.survey.closed_at is None:
        view.survey.closed_at = uow.clock.now()
        audit.record(uow, actor_id=actor.person_id, action="readiness_closed", institution_id=view.cohort.institution_id, target_kind="survey", target_id=view.survey.id)
    return view.survey


def clean_answers(scores: Mapping[str, object], comment: object) -> tuple[list[int], str]:
    """Every item answered on the 1-5 scale, and an optional comment."""
    values = []
    for item in ITEMS:
        raw = scores.get(item.key)
        text = raw.strip() if isinstance(raw, str) else ""
        if text not in {str(value) for value in SCALE}:
            raise Invalid("Answer every statement with one of the five choices.", field=item.key)
        values.append(int(text))
    if not isinstance(comment, str) or len(comment) > COMMENT_LIMIT or "\x00" in comment:
        raise Invalid(f"The comment must be text of at most {COMMENT_LIMIT} characters.", field="comment")
    return values, comment.strip()


async def answer_survey(uow: UnitOfWork, actor: Actor, survey_id: object, *, scores: Mapping[str, object], comment: object) -> None:
    """Store one anonymous answer and the separate record that the actor answered.

    Who: `readiness.answer` (members of the cohort). Raises: NotFound, Forbidden, Invalid,
    Conflict (closed, or answered already, also when two submissions race).
    """
    values, clean_comment = clean_answers(scores, comment)
    view = await access_survey(uow, actor, survey_id)
    ref = _ref(view.cohort)
    policy.require(actor, Action.READINESS_ANSWER, ref)
    # One writer per survey: the rewrite below must not lose a concurrent answer.
    survey = (await uow.session.execute(select(Survey).where(Survey.id == view.survey.id).with_for_update().execution_options(populate_existing=True))).scalar_one()
    if survey.closed_at is not None:
        raise Conflict("This survey is closed.")
    if await uow.session.get(Answered, (survey.id, actor.person_id)) is not None or view.has_answered:
        raise Conflict("You have answered this survey already. Each person answers once.")
    constituency = dict(actor.cohorts)[view.cohort.id].value
    try:
        await uow.session.execute(insert(Answered).values(survey_id=survey.id, person_id=actor.person_id))
    except IntegrityError:
        raise Conflict("You have answered this survey already. Each person answers once.") from None
    await _rewrite(uow, survey.id, (constituency, ",".join(map(str, values)), clean_comment))


async def _rewrite(uow: UnitOfWork, survey_id: int, new: tuple[str, str, str]) -> None:
    rows = (await uow.session.execute(select(Response.constituency, Response.scores, Response.comment).where(Response.survey_id == survey_id))).all()
    answers = [tuple(row) for row in rows] + [new]
    secrets.SystemRandom().shuffle(answers)
    await uow.session.execute(delete(Response).where(Response.survey_id == survey_id))
    await uow.session.execute(
        insert(Response),
        [{"id": secrets.token_hex(16), "survey_id": survey_id, "constituency": c, "scores": s, "comment": text} for c, s, text in answers],
    )


async def survey_results(uow: UnitOfWork, actor: Actor, survey_id: object) -> tuple[SurveyView, Results | None]:
    """The suppressed aggregates of a closed survey (None while it is open).
    Who: `readiness.results` (the school's lead, the cohort's coach). Raises: NotFound, Forbidden."""
    view = await access_survey(uow, actor, survey_id)
    policy.require(actor, Action.READINESS_RESULTS, _ref(view.cohort))
    if view.survey.closed_at is None:
        return view, None
    rows = (await uow.session.execute(select(Response.constituency, Response.scores, Response.comment).where(Response.survey_id == view.survey.id))).all()
    answers = [(c, [int(v) for v in s.split(",")], text) for c, s, text in rows]
    return view, aggregates.summarise(answers, CONSTITUENCY_ORDER)

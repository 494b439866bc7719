"""Rule 2 of DOMAIN.md (no silent reads; SEC-B6): a program admin opening a person of a
school writes a privileged-read entry that the school's lead sees and another school's
lead does not."""

from __future__ import annotations

from sqlalchemy import select

from artme_cop.moderation.models import AuditEntry
from tests.conftest import make_client
from tests.factories import World
from tests.support import sign_in, soup


async def test_admin_person_read_is_logged_for_that_schools_lead(app: object, world: World) -> None:
    async with make_client(app) as admin:
        await sign_in(admin, world.admin.email)
        assert (await admin.get(f"/admin/people/{world.student_a.id}")).status_code == 200
    async with app.state.uow(read_only=True) as uow:  # type: ignore[attr-defined]
        entries = (await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "privileged_read"))).scalars().all()
    assert [(e.actor_id, e.institution_id, e.target_kind, e.target_id) for e in entries] == [
        (world.admin.id, world.institution_a.id, "person", world.student_a.id)
    ]
    async with make_client(app) as lead_a, make_client(app) as lead_b:
        await sign_in(lead_a, world.lead_a.email)
        await sign_in(lead_b, world.lead_b.email)
        seen_by_a = soup(await lead_a.get("/moderation/audit")).get_text(" ")
        seen_by_b = soup(await lead_b.get("/moderation/audit")).get_text(" ")
    assert "privileged read" in seen_by_a and "Pat Admin" in seen_by_a
    assert "privileged read" not in seen_by_b


async def test_lead_reading_own_school_is_not_a_privileged_read(app: object, world: World) -> None:
    async with make_client(app) as lead:
        await sign_in(lead, world.lead_a.email)
        assert (await lead.get(f"/admin/people/{world.student_a.id}")).status_code == 200
    async with app.state.uow(read_only=True) as uow:  # type: ignore[attr-defined]
        entries = (await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "privileged_read"))).scalars().all()
    assert entries == []

"""SEC-H1, the second half: what one person's uploads take together is capped
(`ARTME_UPLOAD_QUOTA_BYTES`), across lab channels and knowledge resources. An upload past the
cap gets 413 and leaves no row, no message and no file; removing a file makes room again;
two uploads at once cannot pass the cap together. A refused message takes its file with it,
so no upload escapes the count. The account page shows what a person's files take."""

from __future__ import annotations

import dataclasses
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from artme_cop.attachments.models import Attachment
from artme_cop.conversations.models import Message
from artme_cop.settings import Settings
from tests.factories import World
from tests.knowledge.helpers import make_resource
from tests.labs.conftest import Team, fast, live_app, make_client, other_team, spaces, team  # noqa: F401  (fixtures)
from tests.labs.conftest import run
from tests.realtime.conftest import signed_in
from tests.support import csrf_from, soup

KIB = 1024
QUOTA = 1000 * KIB


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, upload_quota_bytes=QUOTA)


def text_file(size: int, fill: bytes = b"a") -> bytes:
    return (fill * (size - 1)) + b"\n"


def lab_upload(client: TestClient, team: Team, name: str, data: bytes, *, cid: str, body: str = "") -> Any:
    token = csrf_from(client.get(f"/labs/channels/{team.general}"))
    return client.post(
        f"/labs/channels/{team.general}/messages", data={"body": body, "client_msg_id": cid, "csrf_token": token},
        files={"file": (name, data, "text/plain")}, follow_redirects=False,
    )


def resource_upload(client: TestClient, public_id: str, name: str, data: bytes) -> Any:
    token = csrf_from(client.get(f"/knowledge/{public_id}"))
    return client.post(f"/knowledge/{public_id}/files", data={"csrf_token": token}, files={"file": (name, data, "text/plain")}, follow_redirects=False)


def counts(client: TestClient, person_id: int | None = None) -> tuple[int, int, int]:
    """(attachment rows, their bytes, messages) of one person, or of everyone."""

    async def work(uow: Any) -> tuple[int, int, int]:
        rows = select(func.count(Attachment.id), func.coalesce(func.sum(Attachment.size), 0))
        messages = select(func.count(Message.id))
        if person_id is not None:
            rows, messages = rows.where(Attachment.uploader_id == person_id), messages.where(Message.author_id == person_id)
        count, size = (await uow.session.execute(rows)).one()
        return count, size, (await uow.session.execute(messages)).scalar_one()

    return run(client, work)


def stored_files(client: TestClient) -> list[Path]:
    root = Path(client.app.state.settings.data_dir) / "attachments"  # type: ignore[attr-defined]
    return sorted(p for p in root.glob("*") if p.is_file()) if root.is_dir() else []


def test_the_quota_counts_every_space_and_a_removed_file_makes_room(live_app: TestClient, world: World, other_team: Team) -> None:
    member = signed_in(live_app, world.coalition_a.email)
    for index in range(3):  # 3 x 300 KiB in the lab channel
        assert lab_upload(member, other_team, f"notes{index}.txt", text_file(300 * KIB), cid=f"c{index}").status_code == 303
    public_id = live_app.portal.call(make_resource, live_app.app, world)  # type: ignore[attr-defined]
    assert resource_upload(member, public_id, "small.txt", text_file(60 * KIB)).status_code == 303
    before, files_before = counts(live_app, world.coalition_a.id), stored_files(live_app)
    assert before == (4, 960 * KIB, 3)

    # 41 KiB more would make 1,001 KiB: refused in either space, and nothing is kept.
    over_lab = lab_upload(member, other_team, "more.txt", text_file(41 * KIB), cid="c-over", body="One more")
    assert over_lab.status_code == 413
    assert soup(over_lab).find("textarea", id="body").get_text() == "One more"  # the channel again, the text kept
    assert "over the 1.0 MiB you may store; they take 0.9 MiB now" in soup(over_lab).get_text(" ", strip=True)
    over_resource = resource_upload(member, public_id, "more.txt", text_file(41 * KIB))
    assert over_resource.status_code == 413
    assert "you may store" in soup(over_resource).find(id="files").get_text(" ", strip=True)
    assert counts(live_app, world.coalition_a.id) == before and stored_files(live_app) == files_before

    # Exactly up to the quota is allowed.
    assert lab_upload(member, other_team, "fits.txt", text_file(40 * KIB), cid="c-fit").status_code == 303
    assert counts(live_app, world.coalition_a.id)[1] == QUOTA
    assert resource_upload(member, public_id, "one-byte.txt", b"\n").status_code == 413

    # Taking the resource's file off frees its 60 KiB, and its bytes leave the disk.
    page = member.get(f"/knowledge/{public_id}")
    [remove_form] = [f for f in soup(page).find(id="files").find_all("form") if "/remove" in f["action"]]
    assert member.post(remove_form["action"], data={"csrf_token": csrf_from(page)}, follow_redirects=False).status_code == 303
    assert len(stored_files(live_app)) == 4
    assert resource_upload(member, public_id, "again.txt", text_file(60 * KIB)).status_code == 303
    assert counts(live_app, world.coalition_a.id)[1] == QUOTA


def test_the_quota_is_per_person(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    student, faculty = signed_in(live_app, world.student_a.email), make_client(world.faculty_a.email)
    assert lab_upload(student, team, "big.txt", text_file(900 * KIB), cid="s1").status_code == 303
    assert lab_upload(student, team, "big2.txt", text_file(900 * KIB), cid="s2").status_code == 413
    assert lab_upload(faculty, team, "big.txt", text_file(900 * KIB), cid="f1").status_code == 303
    assert counts(live_app) == (2, 1800 * KIB, 2)


def test_two_uploads_at_once_cannot_pass_the_quota_together(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """Each of two 600 KiB uploads fits alone; sent at the same moment from two browsers of
    one person, exactly one is kept (the person's row is locked while the quota is counted)."""
    browsers = [make_client(world.student_a.email) for _ in range(4)]
    tokens = [csrf_from(b.get(f"/labs/channels/{team.general}")) for b in browsers]

    def send(index: int) -> int:
        return browsers[index].post(
            f"/labs/channels/{team.general}/messages", data={"body": "", "client_msg_id": f"race{index}", "csrf_token": tokens[index]},
            files={"file": (f"part{index}.txt", text_file(600 * KIB, b"abcd"[index : index + 1]), "text/plain")}, follow_redirects=False,
        ).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = sorted(pool.map(send, range(4)))
    assert statuses == [303, 413, 413, 413]
    count, size, messages = counts(live_app, world.student_a.id)
    assert (count, size, messages) == (1, 600 * KIB, 1) and len(stored_files(live_app)) == 1


@pytest.mark.parametrize(
    ("body", "reply_to"),
    [("x" * 10_001, ""), ("text", "999"), ("text", "not-a-number"), ("\x00 nul", "")],
    ids=["body-too-long", "reply-to-missing", "reply-to-not-a-number", "nul-in-body"],
)
def test_a_refused_message_leaves_no_file(live_app: TestClient, world: World, team: Team, body: str, reply_to: str) -> None:
    """The file is written before the message's own checks run; when they refuse it, the
    unit of work rolls back and takes the file off the disk again."""
    student = signed_in(live_app, world.student_a.email)
    token = csrf_from(student.get(f"/labs/channels/{team.general}"))
    refused = student.post(
        f"/labs/channels/{team.general}/messages", data={"body": body, "client_msg_id": "m1", "reply_to": reply_to, "csrf_token": token},
        files={"file": ("notes.txt", text_file(10 * KIB), "text/plain")}, follow_redirects=False,
    )
    assert refused.status_code in (400, 404)
    assert counts(live_app) == (0, 0, 0) and stored_files(live_app) == []
    # the same upload with a good message is kept
    assert lab_upload(student, team, "notes.txt", text_file(10 * KIB), cid="m2", body="fine").status_code == 303
    assert counts(live_app) == (1, 10 * KIB, 1) and len(stored_files(live_app)) == 1


def test_the_account_page_shows_what_files_take(live_app: TestClient, world: World, team: Team) -> None:
    student = signed_in(live_app, world.student_a.email)
    shown = soup(student.get("/me")).find(id="file-storage").get_text(" ", strip=True)
    assert shown == "Files you uploaded take 0.0 MiB of the 1.0 MiB you may store (0 %)."
    assert lab_upload(student, team, "notes.txt", text_file(250 * KIB), cid="a1").status_code == 303
    shown = soup(student.get("/me")).find(id="file-storage").get_text(" ", strip=True)
    assert re.fullmatch(r"Files you uploaded take 0\.2 MiB of the 1\.0 MiB you may store \(25 %\)\.", shown), shown

"""Attachments in lab channels (SECURITY.md H): a size cap, a type allowlist judged by the
content, random storage names under the data directory whatever the name sent, downloads only
for readers of the conversation (with the same 404 as a missing file for everyone else), and
the headers they are served with."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

from bs4 import BeautifulSoup
from sqlalchemy import select
from starlette.testclient import TestClient

from artme_cop.attachments import files
from artme_cop.attachments.models import Attachment
from artme_cop.attachments.service import MAX_BYTES
from artme_cop.conversations.models import Message
from tests.factories import World
from tests.labs.conftest import Team, form_post, run
from tests.realtime.conftest import signed_in
from tests.samples import GIF, JPEG, PDF, PNG, WEBP
from tests.support import csrf_from



def upload(client: TestClient, team: Team, name: str, data: bytes, *, body: str = "", cid: str = "u1") -> Any:
    token = csrf_from(client.get(f"/labs/channels/{team.general}"))
    return client.post(
        f"/labs/channels/{team.general}/messages", data={"body": body, "client_msg_id": cid, "csrf_token": token},
        files={"file": (name, data, "application/octet-stream")}, follow_redirects=False,
    )


async def _attachments(uow: Any) -> list[Attachment]:
    return list((await uow.session.execute(select(Attachment).order_by(Attachment.id))).scalars())


def stored_files(client: TestClient) -> list[Path]:
    root = Path(client.app.state.settings.data_dir)  # type: ignore[attr-defined]
    return sorted(p for p in root.rglob("*") if p.is_file() and p.parent.name == "attachments")


def test_a_member_attaches_and_the_team_downloads(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """SEC-H4/SEC-H5/SEC-A2/SEC-A7: members and the facilitator download; the school's lead,
    the program admin and a cohort peer get the bytes of a missing file's 404."""
    student = signed_in(live_app, world.student_a.email)
    assert upload(student, team, "handover.png", PNG, body="Our whiteboard").status_code == 303
    [attachment] = run(live_app, _attachments)
    assert re.fullmatch(r"[0-9a-f]{32}", attachment.public_id) and attachment.seq == 1
    url = f"/attachments/{attachment.public_id}"
    assert url in student.get(f"/labs/channels/{team.general}").text
    for email in (world.faculty_a.email, world.facilitator_a.email):
        got = make_client(email).get(url)
        assert got.status_code == 200 and got.content == PNG
        assert got.headers["content-type"] == "image/png"
        assert got.headers["content-disposition"].startswith('attachment; filename="handover.png"')
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-security-policy"] == "sandbox; default-src 'none'"
    for email in (world.lead_a.email, world.admin.email, world.coalition_a.email, world.lead_b.email):
        outsider = make_client(email)
        refused, missing = outsider.get(url), outsider.get("/attachments/" + "0" * 32)
        assert refused.status_code == missing.status_code == 404
        assert refused.content == missing.content
    assert make_client(world.faculty_a.email).get("/attachments/../../etc/passwd").status_code == 404
    # deleting the message takes the file with it, for everyone
    assert form_post(student, f"/labs/channels/{team.general}/messages/1/delete", {}).status_code == 303
    assert make_client(world.faculty_a.email).get(url).status_code == 404
    assert student.get(url).status_code == 404


def test_refused_uploads_store_nothing(live_app: TestClient, world: World, team: Team) -> None:
    """SEC-H1/SEC-H2: too large → 413; a disallowed type, a type lying about itself, HTML as
    text, an empty file → 400; neither a row, a message nor a file is left behind."""
    student = signed_in(live_app, world.student_a.email)
    too_large = upload(student, team, "big.png", PNG + b"\x00" * MAX_BYTES, body="The ward's poster", cid="a")
    assert too_large.status_code == 413
    assert BeautifulSoup(too_large.text, "html.parser").find("textarea", id="body").get_text() == "The ward's poster"  # the text is kept
    assert upload(student, team, "tool.exe", b"MZ\x90\x00" + b"\x00" * 60, cid="b").status_code == 400
    assert upload(student, team, "report.pdf", b"<html><script>alert(1)</script></html>", cid="c").status_code == 400
    assert upload(student, team, "notes.txt", b"  <script>alert(1)</script>", cid="d").status_code == 400
    assert upload(student, team, "picture.png", PDF, cid="e").status_code == 400
    assert upload(student, team, "drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", cid="f").status_code == 400
    assert upload(student, team, "empty.txt", b"", cid="g").status_code == 400
    assert upload(student, team, "bin.txt", b"abc\x00def", cid="h").status_code == 400
    # SEC-H2: a picture or PDF with something after its end (one file that is also another)
    page = b"<html><script>alert(document.cookie)</script></html>"
    for index, (name, data) in enumerate([("a.png", PNG), ("a.gif", GIF), ("a.jpg", JPEG), ("a.webp", WEBP), ("a.pdf", PDF)]):
        assert upload(student, team, name, data + page, cid=f"p{index}").status_code == 400, name
    assert upload(student, team, "cut.png", PNG[:-5], cid="cut").status_code == 400
    assert run(live_app, _attachments) == []

    async def messages(uow: Any) -> int:
        return len((await uow.session.execute(select(Message.id))).all())

    assert run(live_app, messages) == 0
    assert stored_files(live_app) == []


def test_hostile_names_are_stored_under_random_names(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """SEC-H3/SEC-J3/SEC-H5: traversal, control characters and bidi overrides never reach the
    file system or a header; the shown name is the cleaned last component."""
    student = signed_in(live_app, world.student_a.email)
    names = ["../../../etc/passwd.txt", "..\\..\\boot.txt", "C:\\Windows\\evil.txt", "re\x00port\r\nX-Evil: 1.txt", "invoice\u202etxt.exe.txt", 'quote";.txt', "résumé 名前.txt"]
    for index, name in enumerate(names):
        assert upload(student, team, name, f"note {index}\n".encode(), cid=f"n{index}").status_code == 303, name
    shown = [a.filename for a in run(live_app, _attachments)]
    assert shown == ["passwd.txt", "boot.txt", "evil.txt", "reportX-Evil 1.txt", "invoicetxt.exe.txt", "quote.txt", "résumé 名前.txt"]
    written = stored_files(live_app)
    assert len(written) == len(names) and all(re.fullmatch(r"[0-9a-f]{32}", p.name) for p in written)
    root = Path(live_app.app.state.settings.data_dir)  # type: ignore[attr-defined]
    assert not (root / "etc").exists() and not (root.parent / "etc" / "passwd.txt").exists()
    reader = make_client(world.faculty_a.email)
    for attachment in run(live_app, _attachments):
        header = reader.get(f"/attachments/{attachment.public_id}").headers["content-disposition"]
        assert "\r" not in header and "\n" not in header and header.count('"') == 2
    last = run(live_app, _attachments)[-1]
    assert reader.get(f"/attachments/{last.public_id}").headers["content-disposition"] == (
        "attachment; filename=\"r_sum_ __.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%E5%90%8D%E5%89%8D.txt"
    )


def test_the_same_bytes_twice_are_two_files(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team, other_team: Team) -> None:
    """SEC-H9: identical uploads in two teams are two stored files with unrelated addresses;
    deleting one message takes only its own file."""
    student, member = signed_in(live_app, world.student_a.email), make_client(world.coalition_a.email)
    assert upload(student, team, "plan.png", PNG, cid="s").status_code == 303
    assert upload(member, other_team, "plan.png", PNG, cid="m").status_code == 303
    first, second = run(live_app, _attachments)
    assert first.storage_name != second.storage_name and first.public_id != second.public_id
    assert [p.read_bytes() for p in stored_files(live_app)] == [PNG, PNG]
    assert form_post(student, f"/labs/channels/{team.general}/messages/1/delete", {}).status_code == 303
    assert student.get(f"/attachments/{first.public_id}").status_code == 404
    got = member.get(f"/attachments/{second.public_id}")
    assert got.status_code == 200 and got.content == PNG
    assert member.get(f"/attachments/{first.public_id}").status_code == 404


def test_file_rules_without_io() -> None:
    assert files.sniff(PNG) is files.PNG and files.sniff(PDF) is files.PDF
    assert files.sniff(b"GIF89a....") is files.GIF and files.sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") is files.WEBP
    assert files.sniff(b"\xff\xd8\xff\xe0") is files.JPEG and files.sniff(b"plain words\n") is files.TEXT
    for data in (PNG, GIF, JPEG, WEBP, PDF, PDF + b"\r\n\n", b"plain words\n"):
        kind = files.sniff(data)
        assert kind is not None and files.ends_where_it_should(kind, data)
    for kind, data in [
        (files.PNG, PNG + b"\x00"), (files.PNG, PNG[:-1]), (files.PNG, PNG[:8]),
        (files.PNG, PNG[:20] + bytes([PNG[20] ^ 1]) + PNG[21:]),  # a header byte changed: checksum wrong
        (files.PNG, PNG.replace(b"IEND", b"IENX")),
        (files.GIF, GIF + b";"), (files.GIF, GIF[:-1]), (files.GIF, GIF[:-1] + b"!\xfe\x05hello"), (files.GIF, GIF[:12]),
        (files.JPEG, JPEG + b"\n"), (files.WEBP, WEBP + b"\x00\x00"), (files.WEBP, WEBP[:-2]), (files.PDF, PDF + b"<p>"),
    ]:
        assert not files.ends_where_it_should(kind, data), data[-12:]
    assert files.sniff(b"\xff\xfe\x00") is None and files.sniff(b"<!doctype html>") is None
    assert files.clean_name("...") == "file" and files.clean_name("/") == "file"
    assert len(files.clean_name("a" * 500 + ".pdf")) == files.MAX_NAME and files.clean_name("a" * 500 + ".pdf").endswith(".pdf")

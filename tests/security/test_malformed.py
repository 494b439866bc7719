"""Bad input through HTTP (SEC-J1, SEC-J3, SEC-J4, SEC-K3): too long, too big, invisible,
hostile or simply broken input gets a 4xx with a reason and stores nothing, never a 500;
unusual but legitimate text is stored and shown exactly. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
from limits.aio.storage import MemoryStorage
from sqlalchemy import func, select

from artme_cop.app import create_app
from artme_cop.identity import service as identity_service
from artme_cop.identity.models import Cohort, Institution, Invitation, Person
from artme_cop.ratelimit import RateLimiter
from artme_cop.settings import Settings
from tests.conftest import make_settings
from tests.factories import World
from tests.support import MutableClock, RecordingMailer, csrf_token, post_form, sign_in, soup, text_of

GOOD_PASSWORD = "Saffron kite 58 meadows"

EXACT_NAMES = {
    "arabic": "مريم الحسيني",
    "hebrew": "נועה לוי",
    "mixed-direction": "Dr. מרים Cohen (مريم)",
    "emoji-zwj": "Ada \U0001f469\U0001f3fd\u200d\u2695\ufe0f \U0001f468\u200d\U0001f469\u200d\U0001f467",
    "combining-decomposed": "Jose\u0301 Zoe\u0308 Z\u0335a\u0357",
    "persian-zwnj": "می\u200cخواهم",
    "sql-quote": "Robert'); DROP TABLE people;--",
    "sql-or": "' OR 1=1 --",
    "like-wildcards": "100% _real_ name",
    "template": "{{ 7*7 }} {% raw %}",
}
HOSTILE_HTML = {
    "script": "<script>alert(1)</script>",
    "attribute-breakout": '"><img src=x onerror=alert(1)>',
    "closing-tags": "</strong></p><svg onload=alert(1)>",
}
INVISIBLE = {
    "nul": "Sam\x00Student",
    "rtl-override": "admin\u202egpj.exe",
    "ltr-override": "\u202dSam",
    "zero-width-space": "ad\u200bmin",
    "newline": "Sam\nStudent",
    "bell": "Sam\x07",
}


async def read(app: Any, query: Any) -> Any:
    async with app.state.uow() as uow:
        return (await uow.session.execute(query)).scalar_one()


async def count(app: Any, model: Any) -> int:
    return int(await read(app, select(func.count()).select_from(model)))


async def stored_person(app: Any, person_id: int) -> Person:
    async with app.state.uow() as uow:
        person = await uow.session.get(Person, person_id)
    assert person is not None
    return person


def field_error(response: httpx.Response, name: str) -> str:
    element = soup(response).find(id=f"{name}-error")
    assert element is not None, f"no error shown for {name}: {text_of(response)[:300]}"
    return element.get_text(strip=True)


def field_value(response: httpx.Response, name: str) -> str:
    element = soup(response).find("input", attrs={"name": name})
    assert element is not None
    return str(element.get("value", ""))


# The pages' own modules (the notification badge is on every signed-in page); nothing else.
OWN_SCRIPTS = {"/static/js/menu.js", "/static/js/notifications.js", "/static/js/conversation.js"}


def assert_no_injected_markup(response: httpx.Response) -> None:
    page = soup(response)
    scripts = [(script.get("src"), script.get_text()) for script in page.find_all("script")]
    assert all(src in OWN_SCRIPTS and not body for src, body in scripts), scripts
    assert page.find_all("svg") == []
    assert page.find_all("img") == []
    assert not [tag for tag in page.find_all(True) if any(attr.lower().startswith("on") for attr in tag.attrs)]


@contextlib.asynccontextmanager
async def built_app(settings: Settings, clock: MutableClock, mailer: RecordingMailer, **overrides: object) -> AsyncIterator[Any]:
    """An app on the test's database with some settings changed."""
    changed = make_settings(settings.data_dir, settings.database_url, **overrides)
    application = create_app(changed, clock=clock, mailer=mailer, rate_limiter=RateLimiter(MemoryStorage(), prefix=f"t{uuid.uuid4().hex}"))
    try:
        yield application
    finally:
        await application.state.engine.dispose()


async def open_invitation_link(app: Any, world: World, email: str = "newcomer@alder.example.edu") -> str:
    async with app.state.uow() as uow:
        _, link = await identity_service.invite(
            uow, None, email=email, institution_id=world.institution_a.id, cohort_id=world.cohort_a1.id, role="participant", constituency="student"
        )
    return link.removeprefix("http://testserver")


# --- over-long fields ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("display_name", "n" * 101, "Name must be at most 100 characters."),
        ("display_name", "é" * 101, "Name must be at most 100 characters."),
        ("pronouns", "p" * 41, "Pronouns must be at most 40 characters."),
        ("title", "t" * 121, "Title must be at most 120 characters."),
    ],
)
async def test_over_long_profile_fields(client: httpx.AsyncClient, app: Any, world: World, field: str, value: str, message: str) -> None:
    await sign_in(client, world.student_a.email)
    form = {"display_name": "Changed Name", "pronouns": "", "title": "", field: value}
    response = await post_form(client, "/me", form, token_from="/me")
    assert response.status_code == 400
    assert field_error(response, field) == message
    stored = await stored_person(app, world.student_a.id)
    assert (stored.display_name, stored.pronouns, stored.title) == ("Sam Student", "they/them", "")


async def test_huge_profile_field_is_refused(client: httpx.AsyncClient, app: Any, world: World) -> None:
    """A field far beyond any limit (but under the body cap) is a 400, not a 500."""
    await sign_in(client, world.student_a.email)
    response = await post_form(client, "/me", {"display_name": "x" * 200_000, "pronouns": "", "title": ""}, token_from="/me")
    assert response.status_code == 400
    assert (await stored_person(app, world.student_a.id)).display_name == "Sam Student"


@pytest.mark.parametrize(
    ("field", "value"),
    [("display_name", "n" * 101), ("pronouns", "p" * 41), ("password", "Kd9#fj2q" * 32 + "z"), ("display_name", "")],
)
async def test_over_long_invitation_fields(client: httpx.AsyncClient, app: Any, world: World, field: str, value: str) -> None:
    path = await open_invitation_link(app, world)
    form = {"display_name": "New Comer", "pronouns": "", "password": GOOD_PASSWORD, field: value}
    response = await client.post(path, data={**form, "csrf_token": await csrf_token(client, path)})
    assert response.status_code == 400
    assert field_error(response, field)
    async with app.state.uow() as uow:
        created = await uow.session.execute(select(Person.id).where(Person.email == "newcomer@alder.example.edu"))
        assert created.first() is None
        invitation = (await uow.session.execute(select(Invitation).where(Invitation.email == "newcomer@alder.example.edu"))).scalar_one()
        assert invitation.accepted_at is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "N" * 201), ("short_name", "S" * 41), ("name", ""), ("name", "Bad\x00School"), ("short_name", "\u202eloohcS")],
)
async def test_bad_institution_fields(client: httpx.AsyncClient, app: Any, world: World, field: str, value: str) -> None:
    await sign_in(client, world.admin.email)
    before = await count(app, Institution)
    form = {"name": "Cedar School of Medicine", "short_name": "Cedar", field: value}
    response = await post_form(client, "/admin/institutions", form, token_from="/admin/institutions")
    assert response.status_code == 400
    assert field_error(response, field)
    assert await count(app, Institution) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "C" * 201), ("name", "Cohort\x00"), ("wave", "first"), ("wave", "0"), ("wave", "99999999999999999999999"), ("wave", "²")],
)
async def test_bad_cohort_fields(client: httpx.AsyncClient, app: Any, world: World, field: str, value: str) -> None:
    await sign_in(client, world.lead_a.email)
    before = await count(app, Cohort)
    path = f"/admin/institutions/{world.institution_a.id}"
    form = {"name": "Alder cohort 3", "wave": "3", field: value}
    response = await post_form(client, f"{path}/cohorts", form, token_from=path)
    assert response.status_code == 400
    assert field_error(response, field)
    assert await count(app, Cohort) == before


# --- bodies over the cap ------------------------------------------------------------------------


async def test_body_over_the_cap_is_413(settings: Settings, world: World, clock: MutableClock, mailer: RecordingMailer) -> None:
    async with built_app(settings, clock, mailer, max_body_bytes=2048) as small:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=small), base_url="http://testserver") as client:
            await sign_in(client, world.student_a.email)
            token = await csrf_token(client, "/me")
            # A small form still passes.
            ok = await client.post("/me", data={"display_name": "Sam S", "pronouns": "", "title": "", "csrf_token": token})
            assert ok.status_code == 303
            form_headers = {"content-type": "application/x-www-form-urlencoded"}
            big = f"csrf_token={token}&pronouns=&title=&display_name=".encode() + b"x" * 4096

            declared = await client.post("/me", content=big, headers=form_headers)
            assert declared.status_code == 413

            async def stream(body: bytes) -> AsyncIterator[bytes]:
                for start in range(0, len(body), 512):
                    yield body[start : start + 512]

            chunked = await client.post("/me", content=stream(big), headers=form_headers)
            assert chunked.status_code == 413
            lying = await client.post("/me", content=stream(big), headers={**form_headers, "content-length": "100"})
            assert lying.status_code == 413
            nonsense = await client.post("/me", content=b"x=1", headers={**form_headers, "content-length": "lots"})
            assert nonsense.status_code in (400, 413)
            assert (await stored_person(small, world.student_a.id)).display_name == "Sam S"
            # Anonymous requests are capped the same way.
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=small), base_url="http://testserver") as anonymous:
                response = await anonymous.post("/login", content=stream(b"email=a&password=" + b"p" * 4096), headers=form_headers)
                assert response.status_code == 413


# --- emails ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    ["not-an-email", "a@b", "two words@alder.example.edu", "sam@@alder.example.edu", "x" * 300 + "@alder.example.edu", "sam\x00@alder.example.edu", "sam\u202e@alder.example.edu", ""],
)
async def test_invalid_invitation_emails(client: httpx.AsyncClient, app: Any, world: World, email: str) -> None:
    await sign_in(client, world.lead_a.email)
    before = await count(app, Invitation)
    form = {"email": email, "institution_id": str(world.institution_a.id), "cohort_id": str(world.cohort_a1.id), "role": "participant", "constituency": "student"}
    response = await post_form(client, "/admin/invitations", form, token_from="/admin/invitations")
    assert response.status_code == 400
    assert field_error(response, "email")
    assert await count(app, Invitation) == before


@pytest.mark.parametrize("email", ["not-an-email", "sam\x00@alder.example.edu", "x" * 5000, "' OR 1=1 --"])
async def test_invalid_emails_at_sign_in_and_reset(client: httpx.AsyncClient, mailer: RecordingMailer, world: World, email: str) -> None:
    token = await csrf_token(client, "/login")
    response = await client.post("/login", data={"email": email, "password": "whatever it is", "csrf_token": token, "next": "/"})
    assert response.status_code == 400
    assert "Email or password is incorrect." in text_of(response)
    response = await post_form(client, "/password/forgot", {"email": email}, token_from="/password/forgot")
    assert response.status_code == 200
    assert mailer.sent == []


# --- names kept exactly, shown as text ----------------------------------------------------------------


@pytest.mark.parametrize("name", EXACT_NAMES.values(), ids=EXACT_NAMES.keys())
async def test_names_are_stored_and_shown_exactly(client: httpx.AsyncClient, app: Any, world: World, name: str) -> None:
    await sign_in(client, world.student_a.email)
    people_before = await count(app, Person)
    response = await post_form(client, "/me", {"display_name": name, "pronouns": name[:40], "title": name}, token_from="/me")
    assert response.status_code == 303
    stored = await stored_person(app, world.student_a.id)
    assert stored.display_name == name
    assert stored.display_name.encode("utf-8") == name.encode("utf-8")  # no normalization
    assert stored.title == name
    page = await client.get("/me")
    assert field_value(page, "display_name") == name
    assert field_value(page, "title") == name
    whoami = soup(page).select_one(".whoami strong")
    assert whoami is not None and whoami.get_text() == name
    assert "49" not in text_of(page)  # no template evaluation (SEC-G5)
    assert await count(app, Person) == people_before


@pytest.mark.parametrize("name", HOSTILE_HTML.values(), ids=HOSTILE_HTML.keys())
async def test_html_in_names_is_shown_as_text(client: httpx.AsyncClient, app: Any, world: World, name: str) -> None:
    """SEC-G3: markup in a name is escaped wherever the name is shown."""
    await sign_in(client, world.student_a.email)
    response = await post_form(client, "/me", {"display_name": name, "pronouns": "", "title": name[:120]}, token_from="/me")
    assert response.status_code == 303
    assert (await stored_person(app, world.student_a.id)).display_name == name
    page = await client.get("/me")
    assert_no_injected_markup(page)
    assert field_value(page, "display_name") == name
    whoami = soup(page).select_one(".whoami strong")
    assert whoami is not None and whoami.get_text() == name

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as admin:
        await sign_in(admin, world.admin.email)
        for path in ("/admin/people", f"/admin/people/{world.student_a.id}", f"/admin/cohorts/{world.cohort_a1.id}"):
            shown = await admin.get(path)
            assert shown.status_code == 200, path
            assert_no_injected_markup(shown)
            assert name in text_of(shown), path


@pytest.mark.parametrize("field", ["display_name", "pronouns", "title"])
@pytest.mark.parametrize("value", INVISIBLE.values(), ids=INVISIBLE.keys())
async def test_invisible_and_control_characters_are_a_400(client: httpx.AsyncClient, app: Any, world: World, field: str, value: str) -> None:
    """SEC-J3/J4: NUL, bidi overrides and other controls are refused with the field named, on
    every database (PostgreSQL would fail on a NUL; that must never become a 500)."""
    await sign_in(client, world.student_a.email)
    form = {"display_name": "Sam Student", "pronouns": "", "title": "", field: value}
    response = await post_form(client, "/me", form, token_from="/me")
    assert response.status_code == 400
    assert "invisible or control character" in field_error(response, field)
    stored = await stored_person(app, world.student_a.id)
    assert (stored.display_name, stored.pronouns, stored.title) == ("Sam Student", "they/them", "")


@pytest.mark.parametrize("value", INVISIBLE.values(), ids=INVISIBLE.keys())
async def test_invisible_characters_in_an_invitation_name_are_a_400(client: httpx.AsyncClient, app: Any, world: World, value: str) -> None:
    path = await open_invitation_link(app, world)
    before = await count(app, Person)
    data = {"display_name": value, "pronouns": "", "password": GOOD_PASSWORD, "csrf_token": await csrf_token(client, path)}
    response = await client.post(path, data=data)
    assert response.status_code == 400
    assert field_error(response, "display_name")
    assert await count(app, Person) == before


async def test_nul_bytes_elsewhere_are_never_a_500(client: httpx.AsyncClient, world: World) -> None:
    for path in ("/invitations/abc%00def", "/password/reset/abc%00def", "/admin/people/1%00", "/login?next=/%00"):
        response = await client.get(path)
        assert response.status_code < 500, path
    await sign_in(client, world.admin.email)
    for path in ("/admin/people?after=1%00", "/moderation/audit?before=%00", "/admin/people/%00"):
        response = await client.get(path)
        assert response.status_code < 500, path
    token = await csrf_token(client, "/admin/invitations")
    response = await client.post(
        "/admin/invitations",
        data={"email": "x@alder.example.edu", "institution_id": "1\x00", "cohort_id": "\x00", "role": "participant\x00", "constituency": "\x00", "csrf_token": token},
    )
    assert response.status_code in (400, 404)


# --- ids in URLs ---------------------------------------------------------------------------------------

BAD_IDS = ["abc", "99999999999999999999", "2147483648", "-1", "0", "1.5", "1e3", "²", "%00", "%F0%9F%98%80"]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("prefix", ["/admin/people/", "/admin/institutions/", "/admin/cohorts/"])
async def test_invalid_ids_in_urls_are_404(client: httpx.AsyncClient, world: World, prefix: str, bad: str) -> None:
    await sign_in(client, world.admin.email)
    response = await client.get(prefix + bad)
    assert response.status_code == 404
    assert "We could not find that page" in text_of(response)


@pytest.mark.parametrize("bad", ["abc", "99999999999999999999", "²", "-5"])
async def test_invalid_ids_in_posted_urls_are_404(client: httpx.AsyncClient, app: Any, world: World, bad: str) -> None:
    await sign_in(client, world.admin.email)
    for path in (f"/admin/roles/{bad}/revoke", f"/admin/invitations/{bad}/revoke", f"/admin/people/{bad}/roles", f"/admin/institutions/{bad}/cohorts"):
        response = await post_form(client, path, {"role": "participant", "name": "X", "wave": "1", "person_id": "1"}, token_from="/admin/people")
        assert response.status_code == 404, path


@pytest.mark.parametrize("bad", ["99999999999999999999", "²", "-1", "abc", "1e9"])
async def test_invalid_page_keys_are_ignored(client: httpx.AsyncClient, world: World, bad: str) -> None:
    """Keyset pagination parameters out of range or not numbers fall back to the first page."""
    await sign_in(client, world.admin.email)
    people = await client.get(f"/admin/people?after={bad}")
    assert people.status_code == 200
    assert "Sam Student" in text_of(people)
    audit = await client.get(f"/moderation/audit?before={bad}")
    assert audit.status_code == 200


# --- malformed form encodings ----------------------------------------------------------------------------


async def test_malformed_form_bodies_are_4xx(client: httpx.AsyncClient, app: Any, world: World) -> None:
    await sign_in(client, world.student_a.email)
    token = await csrf_token(client, "/me")
    boundary = "xYzZy"

    def multipart(*parts: str) -> bytes:
        return ("".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--\r\n").encode()

    field = f'Content-Disposition: form-data; name="csrf_token"\r\n\r\n{token}'
    cases: list[tuple[str, bytes, str, int]] = [
        ("garbage multipart", b"this is not multipart at all", f"multipart/form-data; boundary={boundary}", 400),
        ("multipart without boundary", multipart(field), "multipart/form-data", 400),
        ("file part", multipart(field, 'Content-Disposition: form-data; name="display_name"; filename="x.txt"\r\nContent-Type: text/plain\r\n\r\nhello'), f"multipart/form-data; boundary={boundary}", 400),
        ("part without name", multipart(field, "Content-Disposition: form-data\r\n\r\nvalue"), f"multipart/form-data; boundary={boundary}", 400),
        ("too many fields", multipart(field, *[f'Content-Disposition: form-data; name="f{i}"\r\n\r\nv' for i in range(60)]), f"multipart/form-data; boundary={boundary}", 400),
        ("too many urlencoded fields", ("&".join(f"f{i}=v" for i in range(60)) + f"&csrf_token={token}").encode(), "application/x-www-form-urlencoded", 400),
        ("oversized part", multipart(field, 'Content-Disposition: form-data; name="title"\r\n\r\n' + "t" * 70_000), f"multipart/form-data; boundary={boundary}", 400),
        ("json body", b'{"display_name": "Json"}', "application/json", 403),
        ("no content type", b"display_name=x", "", 403),
    ]
    for label, body, content_type, status in cases:
        headers = {"content-type": content_type} if content_type else {}
        response = await client.post("/me", content=body, headers=headers)
        assert response.status_code == status, label
    assert (await stored_person(app, world.student_a.id)).display_name == "Sam Student"


@pytest.mark.parametrize(
    "body",
    [b"display_name=%ZZ%", b"display_name=%FF%FE%FD", b"display_name=\xff\xfe\xfd", b"display_name=a%00b", b"display_name=&display_name=Two"],
    ids=["bad-percent", "invalid-utf8-escaped", "invalid-utf8-raw", "escaped-nul", "repeated"],
)
async def test_odd_urlencoded_bodies_are_never_a_500(client: httpx.AsyncClient, app: Any, world: World, body: bytes) -> None:
    await sign_in(client, world.student_a.email)
    token = await csrf_token(client, "/me")
    response = await client.post("/me", content=body + f"&pronouns=&title=&csrf_token={token}".encode(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code in (303, 400)
    stored = (await stored_person(app, world.student_a.id)).display_name
    assert "\x00" not in stored
    if response.status_code == 400:
        assert stored == "Sam Student"


# --- unexpected failures ----------------------------------------------------------------------------------


async def test_unexpected_exception_shows_a_generic_500(
    settings: Settings, world: World, clock: MutableClock, mailer: RecordingMailer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """SEC-K3: production settings; the page has no traceback, exception text, SQL or paths."""
    secret_detail = "boom: SELECT password_hash FROM people WHERE id = 1 -- /work/main/src/artme_cop/identity/service.py"

    async def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError(secret_detail)

    monkeypatch.setattr(identity_service, "my_overview", explode)
    async with built_app(settings, clock, mailer, base_url="https://cop.example.org") as production:
        transport = httpx.ASGITransport(app=production, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="https://cop.example.org") as client:
            await sign_in(client, world.student_a.email)
            with caplog.at_level(logging.ERROR):
                response = await client.get("/me")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    body = response.text
    assert "Something went wrong" in body
    for leak in ("Traceback", "RuntimeError", "SELECT", "password_hash", "/work/", ".py", str(Path(__file__).parent)):
        assert leak not in body, leak
    # The page is as protected as any other (SEC-G7) and the details went to the log instead.
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in response.headers
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert any(record.exc_info and secret_detail in str(record.exc_info[1]) for record in caplog.records)

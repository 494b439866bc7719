"""Team channels: the team reads them and nobody else (SEC-A1, SEC-A2, SEC-A3, rule 1 of
DOMAIN.md), threads keep reply counts and channel unread counts right, pins, edit, delete,
reactions, mentions; roster changes reach the channels and the audit log."""

from __future__ import annotations

import json
from typing import Callable

from bs4 import BeautifulSoup
from sqlalchemy import select
from starlette.testclient import TestClient

from artme_cop.conversations.models import ConversationMember, Message
from artme_cop.moderation.models import AuditEntry
from tests.factories import World
from tests.labs.conftest import Team, form_post, run
from tests.realtime.conftest import signed_in


def page(response: object) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")  # type: ignore[attr-defined]


def post(client: TestClient, team: Team, body: str, *, reply_to: int | None = None, cid: str = "c") -> object:
    data = {"body": body, "client_msg_id": cid}
    if reply_to is not None:
        data["reply_to"] = str(reply_to)
    return form_post(client, f"/labs/channels/{team.general}/messages", data, token_from=f"/labs/teams/{team.id}")


def unread_badges(client: TestClient, team: Team) -> dict[str, str]:
    nav = page(client.get(f"/labs/teams/{team.id}")).find("nav", class_="lab-channels")
    return {li.a.get_text(strip=True): li.find(class_="badge")["data-unread"] for li in nav.find_all("li")}


def test_only_the_team_reads_its_pages(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """SEC-A1/SEC-A2, rule 1: the school's lead who registered the team, the program admin, a
    coach and a peer of the same cohort get the same 404 as for a missing id; members and the
    facilitator read it."""
    for email in (world.student_a.email, world.faculty_a.email, world.facilitator_a.email):
        reader = make_client(email)
        assert reader.get(f"/labs/teams/{team.id}").status_code == 200
        assert reader.get(f"/labs/channels/{team.general}").status_code == 200
    for email in (world.lead_a.email, world.admin.email, world.coach.email, world.coalition_a.email, world.lead_b.email):
        outsider = make_client(email)
        for path in (f"/labs/teams/{team.id}", f"/labs/channels/{team.general}", f"/conversations/{team.conversation}"):
            refused, missing = outsider.get(path), outsider.get(path.replace(str(team.id if "teams" in path else team.general if "channels" in path else team.conversation), "987654"))
            assert refused.status_code == missing.status_code == 404, (email, path)
            assert refused.content == missing.content


def test_threads_keep_reply_and_unread_counts(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """A reply shows in its thread's count and not as channel unread; a top-level post is
    unread for the other member until they open the channel; a reply to a reply lands in
    the root's thread."""
    signed_in(live_app, world.student_a.email)
    faculty = make_client(world.faculty_a.email)
    assert post(live_app, team, "Root one", cid="r1").status_code == 303
    assert post(live_app, team, "Root two", cid="r2").status_code == 303
    assert unread_badges(faculty, team)["#general"] == "2"
    replied = post(faculty, team, "A reply", reply_to=1, cid="f1")
    assert replied.status_code == 303 and replied.headers["location"] == f"/labs/channels/{team.general}?thread=1#m3"
    assert post(live_app, team, "Reply to the reply", reply_to=3, cid="r3").status_code == 303
    channel = page(faculty.get(f"/labs/channels/{team.general}"))
    counts = {li["data-seq"]: li.find(class_="reply-count").get_text() for li in channel.find(id="messages").find_all("li", recursive=False)}
    assert counts == {"1": "2", "2": "0"}
    assert unread_badges(faculty, team)["#general"] == "0"
    thread = page(faculty.get(f"/labs/channels/{team.general}?thread=1"))
    assert [li["data-seq"] for li in thread.find(id="thread-messages").find_all("li", recursive=False)] == ["1", "3", "4"]
    # replies never raise the channel's unread count; the student has read everything but the replies
    assert unread_badges(live_app, team)["#general"] == "0"

    async def stored(uow: object) -> list[tuple[int, int | None]]:
        rows = await uow.session.execute(select(Message.seq, Message.reply_to_seq).where(Message.conversation_id == team.conversation).order_by(Message.seq))  # type: ignore[attr-defined]
        return [tuple(r) for r in rows.all()]

    assert run(live_app, stored) == [(1, None), (2, None), (3, 1), (4, 1)]
    assert faculty.get(f"/labs/channels/{team.general}?thread=3").status_code == 404  # a reply is no thread
    assert faculty.get(f"/labs/channels/{team.general}?thread=99").status_code == 404
    assert faculty.get(f"/labs/channels/{team.general}?thread=x%00").status_code == 404


def test_bad_posts_change_nothing(live_app: TestClient, world: World, team: Team) -> None:
    """SEC-J1: malformed input is a clear 4xx, never a 500, and stores nothing."""
    signed_in(live_app, world.student_a.email)
    assert post(live_app, team, "", cid="e1").status_code == 400
    assert post(live_app, team, "x" * 10_001, cid="e2").status_code == 400
    assert post(live_app, team, "hello", reply_to=42, cid="e3").status_code == 400
    assert post(live_app, team, "hello", cid="bad id with spaces").status_code == 400
    assert form_post(live_app, "/labs/channels/abc/messages", {"body": "x", "client_msg_id": "e4"}).status_code == 404
    assert form_post(live_app, "/labs/channels/99999999999999/messages", {"body": "x", "client_msg_id": "e5"}).status_code == 404
    assert form_post(live_app, f"/labs/channels/{team.general}/messages/1/react", {"emoji": "heart"}).status_code == 404

    async def count(uow: object) -> int:
        return len((await uow.session.execute(select(Message.id))).all())  # type: ignore[attr-defined]

    assert run(live_app, count) == 0


def test_home_lists_the_teams_unread_channels(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """"New for you" on the home page names a channel of one's teams with unread top-level
    messages, with their number; opening it takes it off; nobody outside the team sees it."""
    signed_in(live_app, world.student_a.email)
    faculty = make_client(world.faculty_a.email)
    post(faculty, team, "Handover checklist, first draft", cid="h1")
    post(faculty, team, "And the audit form", cid="h2")

    def channels_on_home(client: TestClient) -> list[str]:
        section = page(client.get("/")).find("section", attrs={"aria-labelledby": "new-heading"})
        return [" ".join(li.get_text(" ", strip=True).split()) for li in section.find_all("li") if "/labs/channels/" in li.a["href"]]

    assert channels_on_home(live_app) == ["#general 2 unread in your team Alder ED"]
    assert channels_on_home(faculty) == []  # their own messages
    for outsider in (world.lead_a.email, world.lead_b.email, world.coach.email):
        assert channels_on_home(make_client(outsider)) == []
    live_app.get(f"/labs/channels/{team.general}")
    assert channels_on_home(live_app) == []


def test_refused_forms_keep_their_text(live_app: TestClient, world: World, team: Team) -> None:
    """A refused post, reply or edit shows the channel again with the text kept, marked
    invalid with its reason, and changes nothing; the edit box starts from the message's own
    Markdown, which only its author sees."""
    signed_in(live_app, world.student_a.email)
    post(live_app, team, "Our **triage** draft <3", cid="k1")
    post(live_app, team, "A reply in the thread", reply_to=1, cid="k2")
    long_text = "Too long. " * 1001

    refused = post(live_app, team, long_text, cid="k3")
    assert refused.status_code == 400
    composer = page(refused).find("textarea", id="body")
    assert composer.get_text() == long_text and composer["aria-invalid"] == "true"
    assert "at most" in page(refused).find(id="body-error").get_text()

    refused = post(live_app, team, long_text, reply_to=1, cid="k4")
    assert refused.status_code == 400
    reply_box = page(refused).find("textarea", id="reply-body")
    assert reply_box.get_text() == long_text and "reply-body-error" in reply_box["aria-describedby"]
    # a reply to a reply is no thread of its own: the text comes back in the channel's box
    refused = post(live_app, team, long_text, reply_to=2, cid="k5")
    assert refused.status_code == 400 and page(refused).find("textarea", id="body").get_text() == long_text

    channel = page(live_app.get(f"/labs/channels/{team.general}"))
    assert channel.find("textarea", id="edit-1").get_text() == "Our **triage** draft <3"
    refused = form_post(live_app, f"/labs/channels/{team.general}/messages/1/edit", {"body": long_text})
    assert refused.status_code == 400
    edited = page(refused).find("textarea", id="edit-1")
    assert edited.get_text() == long_text and edited.find_parent("details").has_attr("open")
    assert page(refused).find(id="edit-1-error") is not None

    # the reply's edit form in the thread keeps the thread open and has ids of its own
    refused = form_post(live_app, f"/labs/channels/{team.general}/messages/2/edit", {"body": "   ", "thread": "1"})
    assert refused.status_code == 400
    thread_page = page(refused)
    assert thread_page.find(id="thread") is not None and thread_page.find("textarea", id="edit-t2").find_parent("details").has_attr("open")
    ids = [tag["id"] for tag in thread_page.find_all(id=True)]
    assert len(ids) == len(set(ids))

    faculty_view = page(signed_in(live_app, world.faculty_a.email).get(f"/labs/channels/{team.general}"))
    assert faculty_view.find("textarea", id="edit-1") is None and "Our **triage**" not in faculty_view.get_text()

    async def stored(uow: object) -> list[tuple[int, str]]:
        rows = await uow.session.execute(select(Message.seq, Message.body).where(Message.conversation_id == team.conversation).order_by(Message.seq))  # type: ignore[attr-defined]
        return [tuple(r) for r in rows.all()]

    assert run(live_app, stored) == [(1, "Our **triage** draft <3"), (2, "A reply in the thread")]


def test_pins_edit_delete_and_reactions(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """SEC-B3: only team leads and the facilitator pin; authors edit; others cannot delete."""
    signed_in(live_app, world.student_a.email)
    lead = make_client(world.faculty_a.email)
    post(live_app, team, "Our triage checklist draft", cid="p1")
    path = f"/labs/channels/{team.general}/messages/1"
    assert form_post(live_app, f"{path}/pin", {"pinned": "1"}).status_code == 403
    assert form_post(lead, f"{path}/pin", {"pinned": "1"}).status_code == 303
    pins = page(live_app.get(f"/labs/channels/{team.general}")).find(id="pins")
    assert "Our triage checklist draft" in pins.get_text()
    assert form_post(lead, f"{path}/edit", {"body": "hijacked"}).status_code == 403
    assert form_post(live_app, f"{path}/edit", {"body": "Our triage checklist, v2"}).status_code == 303
    assert form_post(lead, f"{path}/react", {"emoji": "heart"}).status_code == 303
    assert form_post(lead, f"{path}/react", {"emoji": "<script>"}).status_code == 400
    assert "Our triage checklist, v2" in live_app.get(f"/labs/channels/{team.general}").text
    assert form_post(lead, f"{path}/pin", {"pinned": "0"}).status_code == 303
    assert "Nothing pinned yet" in live_app.get(f"/labs/channels/{team.general}").text
    assert form_post(live_app, f"{path}/delete", {}).status_code == 303
    assert "This message was deleted." in lead.get(f"/labs/channels/{team.general}").text


def test_topic_channels_follow_the_roster_and_changes_are_audited(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """SEC-A5: a roster change reaches every channel at once and lands in the audit log."""
    lead = signed_in(live_app, world.faculty_a.email)
    opened = form_post(lead, f"/labs/teams/{team.id}/channels", {"name": "Handover"})
    assert opened.status_code == 303
    topic_path = opened.headers["location"]
    student = make_client(world.student_a.email)
    assert student.get(topic_path).status_code == 200
    assert form_post(student, f"/labs/teams/{team.id}/channels", {"name": "mine"}).status_code == 403
    school_lead = make_client(world.lead_a.email)
    assert school_lead.get(f"/labs/teams/{team.id}/roster").status_code == 200
    fields = [("members", str(world.faculty_a.id)), ("members", str(world.participant_a2.id)), ("leads", str(world.faculty_a.id)), ("facilitator", str(world.facilitator_a.id))]
    assert form_post(school_lead, f"/labs/teams/{team.id}/roster", fields).status_code == 303
    assert student.get(topic_path).status_code == 404
    assert student.get(f"/labs/channels/{team.general}").status_code == 404
    assert make_client(world.participant_a2.email).get(topic_path).status_code == 200
    assert school_lead.get(topic_path).status_code == 404  # keeping the roster never opens the content

    async def facts(uow: object) -> tuple[list[dict[str, object]], set[int]]:
        entries = (await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "lab_team_roster_changed"))).scalars().all()  # type: ignore[attr-defined]
        members = (await uow.session.execute(select(ConversationMember.person_id).where(ConversationMember.conversation_id == team.conversation))).scalars().all()  # type: ignore[attr-defined]
        return [json.loads(e.detail) if isinstance(e.detail, str) else e.detail for e in entries], set(members)

    details, members = run(live_app, facts)
    assert [(d["added"], d["removed"]) for d in details] == [([world.participant_a2.id], [world.student_a.id])]
    assert members == {world.faculty_a.id, world.participant_a2.id, world.facilitator_a.id}
    # only the school's lead (or a unit manager) keeps the roster
    assert form_post(make_client(world.faculty_a.email), f"/labs/teams/{team.id}/roster", fields).status_code == 403
    assert form_post(make_client(world.lead_b.email), f"/labs/teams/{team.id}/roster", fields).status_code == 404


def test_mentions_reach_members_only(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """SEC-A3: mentioning someone off the team notifies nobody; a member gets a notification
    that links to the channel."""
    signed_in(live_app, world.student_a.email)
    body = f"@**{world.faculty_a.display_name}|{world.faculty_a.id}** and @**{world.lead_a.display_name}|{world.lead_a.id}** canary-lab-mention"
    assert post(live_app, team, body, cid="m1").status_code == 303
    member_list = make_client(world.faculty_a.email).get("/notifications/")
    assert f"/labs/channels/{team.general}#m1" in member_list.text
    outsider = make_client(world.lead_a.email)
    assert f"/labs/channels/{team.general}" not in outsider.get("/notifications/").text
    assert "canary-lab-mention" not in page(outsider.get("/forum/search?q=canary-lab-mention")).get_text()  # the query echoed in the input is no result
    assert "Alder ED" not in outsider.get("/conversations/").text


def test_json_api_follows_the_same_gate(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """SEC-A1/SEC-A3 for JSON: members get their channels with unread counts and a thread;
    outsiders get a 404 like a missing id, and no team in their list."""
    signed_in(live_app, world.student_a.email)
    post(live_app, team, "Root", cid="j1")
    post(live_app, team, "Reply", reply_to=1, cid="j2")
    faculty = make_client(world.faculty_a.email)
    assert faculty.get(f"/api/labs/teams/{team.id}/channels").json()["channels"] == [
        {"id": team.general, "name": "general", "general": True, "conversation": team.conversation, "unread": 1}
    ]
    thread = faculty.get(f"/api/labs/channels/{team.general}/threads/1").json()
    assert thread["root"] == 1 and [m["seq"] for m in thread["messages"]] == [1, 2]
    assert faculty.get(f"/api/labs/channels/{team.general}/threads/2").status_code == 404
    assert [t["name"] for t in faculty.get("/api/labs/teams").json()["teams"]] == ["Alder ED"]
    for email in (world.lead_a.email, world.admin.email):
        outsider = make_client(email)
        assert outsider.get("/api/labs/teams").json()["teams"] == []
        for path in (f"/api/labs/teams/{team.id}/channels", f"/api/labs/channels/{team.general}/threads/1"):
            refused = outsider.get(path)
            assert refused.status_code == 404 and "Root" not in refused.text


def test_mention_suggestions_name_the_team_only(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """SEC-A3: the helper suggests teammates and the facilitator, never anyone else of the school."""
    student = signed_in(live_app, world.student_a.email)
    everyone = student.get(f"/labs/channels/{team.general}/mentions?q=").json()["people"]
    assert {p["id"] for p in everyone} == {world.faculty_a.id, world.facilitator_a.id}
    assert [p["id"] for p in student.get(f"/labs/channels/{team.general}/mentions", params={"q": world.faculty_a.display_name.upper()}).json()["people"]] == [world.faculty_a.id]
    assert student.get(f"/labs/channels/{team.general}/mentions", params={"q": world.lead_a.display_name}).json()["people"] == []
    assert make_client(world.lead_a.email).get(f"/labs/channels/{team.general}/mentions?q=").status_code == 404

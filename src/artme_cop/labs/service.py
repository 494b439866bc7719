"""Intents of the team learning labs: teams and their rosters, channels, threads and pins.

A team's channels are members-only conversations of the messaging core. Every roster change
is applied to all of them with `set_members` (team leads and the facilitator moderate), so
the core's visibility filter, sockets, search, mentions and notifications follow the roster
at once, and is recorded in the audit log. Messages, edits, deletes, reactions and mentions
go through the core; this module adds only what a lab channel keeps of its own (the
threads' reply counts, pins).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from artme_cop import policy
from artme_cop.attachments import service as attachments
from artme_cop.conversations import hooks
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import Conversation, ConversationKind
from artme_cop.errors import Conflict, Invalid, NotFound
from artme_cop.identity.models import Institution, Person
from artme_cop.labs import queries
from artme_cop.labs.models import LabChannel, LabManager, LabPin, LabTeam, LabTeamMember, LabThread
from artme_cop.moderation import service as audit
from artme_cop.notifications import service as notifications
from artme_cop.policy import Action, Actor, LabUnitRef, SpaceScope, TeamRef
from artme_cop.realtime.events import Event, conversation_topic
from artme_cop.unit_of_work import UnitOfWork

GENERAL = "general"
CHANNEL_PAGE = 100
MAX_MEMBERS = 60


@dataclass(frozen=True)
class Roster:
    """A team's people as a form gives them: members, which of them lead, the facilitator."""

    member_ids: frozenset[int]
    lead_ids: frozenset[int]
    facilitator_id: int


@dataclass(frozen=True)
class ChannelView:
    team: LabTeam
    channel: LabChannel
    channels: list[tuple[LabChannel, int]]
    messages: list[dict[str, Any]]
    reply_counts: dict[int, int]
    pins: list[dict[str, Any]]
    thread: list[dict[str, Any]] | None
    thread_root: int | None
    may_pin: bool
    may_moderate: bool
    last_seq: int
    # conversation id -> its last seq, for the other channels the page listens to (live unread badges)
    others: dict[int, int]
    # seq -> Markdown source of the reader's own messages on the page, so the edit box starts from it
    own_sources: dict[int, str]


# --- input ------------------------------------------------------------------------------------


def clean_line(value: object, label: str, *, limit: int, required: bool = True) -> str:
    """A one-line name: NFC, no control or bidi-override characters, within `limit` (SEC-J3)."""
    if not isinstance(value, str):
        raise Invalid(f"{label} must be text.", field=label.lower())
    text = unicodedata.normalize("NFC", value).strip()
    if required and not text:
        raise Invalid(f"{label} is required.", field=label.lower())
    if len(text) > limit:
        raise Invalid(f"{label} can be at most {limit} characters.", field=label.lower())
    if any(unicodedata.category(char) in {"Cc", "Cf"} for char in text):
        raise Invalid(f"{label} contains control or direction characters.", field=label.lower())
    return text


def clean_text(value: object, label: str, *, limit: int, required: bool = True) -> str:
    """A multi-line text: line breaks allowed, other control characters not."""
    if not isinstance(value, str):
        raise Invalid(f"{label} must be text.", field=label.lower())
    text = value.replace("\r\n", "\n").strip()
    if required and not text:
        raise Invalid(f"{label} is required.", field=label.lower())
    if len(text) > limit:
        raise Invalid(f"{label} can be at most {limit} characters.", field=label.lower())
    if any(unicodedata.category(char) in {"Cc", "Cf"} and char != "\n" for char in text):
        raise Invalid(f"{label} contains control or direction characters.", field=label.lower())
    return text


def parse_id(value: object, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise Invalid(f"Choose a valid {label}.", field=label)
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**31:
        raise Invalid(f"Choose a valid {label}.", field=label)
    return int(text)


def parse_ids(values: list[str], label: str) -> frozenset[int]:
    return frozenset(parse_id(value, label) for value in values if value != "")


def _lookup_key(value: object) -> int:
    """An id from a path: anything malformed is simply not found."""
    try:
        return parse_id(value, "id")
    except Invalid:
        raise NotFound("lab") from None


# --- teams ------------------------------------------------------------------------------------


async def unit_ref(uow: UnitOfWork, institution_id: int) -> LabUnitRef:
    return LabUnitRef(institution_id, await queries.manager_ids(uow.session, institution_id))


async def team_ref(uow: UnitOfWork, team: LabTeam) -> TeamRef:
    rows = await queries.roster(uow.session, team.id)
    return TeamRef(
        institution_id=team.institution_id,
        member_ids=frozenset(r.person_id for r in rows),
        lead_ids=frozenset(r.person_id for r in rows if r.is_lead),
        facilitator_id=team.facilitator_id,
        manager_ids=await queries.manager_ids(uow.session, team.institution_id),
    )


async def access_team(uow: UnitOfWork, actor: Actor, team_id: object) -> tuple[LabTeam, TeamRef]:
    """A team the actor is on or facilitates; NotFound alike for missing and private (SEC-A2)."""
    team = await uow.session.get(LabTeam, _lookup_key(team_id))
    if team is None:
        raise NotFound("team")
    ref = await team_ref(uow, team)
    if not policy.can(actor, Action.LAB_TEAM_READ, ref):
        raise NotFound("team")
    return team, ref


async def managed_team(uow: UnitOfWork, actor: Actor, team_id: object) -> tuple[LabTeam, TeamRef]:
    """A team whose roster the actor keeps (the school's lead or unit managers), or a member's
    view of it; anyone else gets NotFound."""
    team = await uow.session.get(LabTeam, _lookup_key(team_id))
    if team is None:
        raise NotFound("team")
    ref = await team_ref(uow, team)
    if not (policy.can(actor, Action.LAB_TEAM_ROSTER, ref) or policy.can(actor, Action.LAB_TEAM_READ, ref)):
        raise NotFound("team")
    return team, ref


@dataclass(frozen=True)
class RosterView:
    team: LabTeam
    ref: TeamRef
    people: list[Person]
    may_change: bool


async def roster_view(uow: UnitOfWork, actor: Actor, team_id: object) -> RosterView:
    """Who is on the team, for its members and the people who keep its roster."""
    team, ref = await managed_team(uow, actor, team_id)
    people = await people_at(uow, team.institution_id)
    return RosterView(team, ref, people, policy.can(actor, Action.LAB_TEAM_ROSTER, ref))


async def registrable_institutions(uow: UnitOfWork, actor: Actor) -> list[Institution]:
    """Schools where the actor may register teams (as lead or unit manager)."""
    named = select(LabManager.institution_id).where(LabManager.person_id == actor.person_id)
    candidates = set((await uow.session.execute(named)).scalars()) | set(actor.lead_institution_ids)
    found = []
    for institution_id in sorted(candidates):
        institution = await uow.session.get(Institution, institution_id)
        if institution is not None and policy.can(actor, Action.LAB_TEAM_REGISTER, await unit_ref(uow, institution_id)):
            found.append(institution)
    return found


async def people_at(uow: UnitOfWork, institution_id: int) -> list[Person]:
    """The people a team of this school can be made of."""
    query = select(Person).where(Person.institution_id == institution_id, Person.is_deleted.is_(False)).order_by(Person.display_name)
    return list((await uow.session.execute(query)).scalars())


async def _check_roster(uow: UnitOfWork, institution_id: int, roster: Roster) -> None:
    if not roster.member_ids:
        raise Invalid("A team needs at least one member.", field="members")
    if len(roster.member_ids) > MAX_MEMBERS:
        raise Invalid(f"A team can have at most {MAX_MEMBERS} members.", field="members")
    if not roster.lead_ids or not roster.lead_ids <= roster.member_ids:
        raise Invalid("Choose at least one team lead among the members.", field="leads")
    allowed = {person.id for person in await people_at(uow, institution_id)}
    if not roster.member_ids <= allowed:
        raise Invalid("Members must be people of the team's school.", field="members")
    if roster.facilitator_id not in allowed:
        raise Invalid("The facilitator must be a person of the team's school.", field="facilitator")


def _channel_members(roster: Roster) -> dict[int, bool]:
    """Everyone on the team reads the channels; leads and the facilitator moderate them."""
    members = {person_id: person_id in roster.lead_ids for person_id in roster.member_ids}
    members[roster.facilitator_id] = True
    return members


async def register_team(
    uow: UnitOfWork, actor: Actor, *, institution_id: object, name: object, unit: object, purpose: object, roster: Roster
) -> LabTeam:
    """Register a team with its general channel.

    Who: `lab.team.register` (the school's lead, or a unit manager they named).
    Audit: lab_team_registered. Raises: Forbidden, Invalid.
    """
    school = parse_id(institution_id, "institution")
    if await uow.session.get(Institution, school) is None:
        raise Invalid("Choose a school.", field="institution")
    policy.require(actor, Action.LAB_TEAM_REGISTER, await unit_ref(uow, school))
    team = LabTeam(
        institution_id=school, name=clean_line(name, "Name", limit=120), unit=clean_line(unit, "Unit", limit=120),
        purpose=clean_text(purpose, "Purpose", limit=2000, required=False), facilitator_id=roster.facilitator_id,
        created_by_id=actor.person_id, created_at=uow.clock.now(),
    )
    await _check_roster(uow, school, roster)
    uow.session.add(team)
    await uow.flush()
    for person_id in sorted(roster.member_ids):
        uow.session.add(LabTeamMember(team_id=team.id, person_id=person_id, is_lead=person_id in roster.lead_ids))
    await _add_channel(uow, team, GENERAL, is_general=True, roster=roster)
    audit.record(
        uow, actor_id=actor.person_id, action="lab_team_registered", institution_id=school, target_kind="lab_team", target_id=team.id,
        detail={"members": sorted(roster.member_ids), "leads": sorted(roster.lead_ids), "facilitator": roster.facilitator_id},
    )
    return team


async def change_roster(uow: UnitOfWork, actor: Actor, team_id: object, roster: Roster) -> set[int]:
    """Replace a team's roster and apply it to every channel of the team at once.

    Who: `lab.team.roster`. Audit: lab_team_roster_changed with who was added and removed.
    Returns the people whose access changed.
    """
    team, ref = await managed_team(uow, actor, team_id)
    policy.require(actor, Action.LAB_TEAM_ROSTER, ref)
    await _check_roster(uow, team.institution_id, roster)
    for row in await queries.roster(uow.session, team.id):
        if row.person_id not in roster.member_ids:
            await uow.session.delete(row)
        else:
            row.is_lead = row.person_id in roster.lead_ids
    for person_id in sorted(roster.member_ids - ref.member_ids):
        uow.session.add(LabTeamMember(team_id=team.id, person_id=person_id, is_lead=person_id in roster.lead_ids))
    team.facilitator_id = roster.facilitator_id
    await uow.flush()
    changed: set[int] = set()
    for channel in await queries.channels_of(uow.session, team.id):
        conversation = await queries.conversation(uow.session, channel.conversation_id)
        assert conversation is not None
        changed |= await conversations.set_members(uow, conversation, _channel_members(roster))
    audit.record(
        uow, actor_id=actor.person_id, action="lab_team_roster_changed", institution_id=team.institution_id, target_kind="lab_team", target_id=team.id,
        detail={
            "added": sorted(roster.member_ids - ref.member_ids), "removed": sorted(ref.member_ids - roster.member_ids),
            "leads": sorted(roster.lead_ids), "facilitator": roster.facilitator_id,
        },
    )
    return changed


async def name_manager(uow: UnitOfWork, actor: Actor, institution_id: object, person_id: object) -> LabManager:
    """The school's lead names a unit manager, who may then register and staff teams.

    Who: `lab.manager.name`. Audit: lab_manager_named.
    """
    school = parse_id(institution_id, "institution")
    ref = await unit_ref(uow, school)
    policy.require(actor, Action.LAB_MANAGER_NAME, ref)
    person = parse_id(person_id, "person")
    if person not in {p.id for p in await people_at(uow, school)}:
        raise Invalid("Choose a person of the school.", field="person")
    if person in ref.manager_ids:
        raise Conflict("That person is already a unit manager.")
    manager = LabManager(institution_id=school, person_id=person, named_by_id=actor.person_id, named_at=uow.clock.now())
    uow.session.add(manager)
    audit.record(uow, actor_id=actor.person_id, action="lab_manager_named", institution_id=school, target_kind="person", target_id=person)
    return manager


async def my_teams(uow: UnitOfWork, actor: Actor) -> list[LabTeam]:
    return await queries.teams_of(uow.session, actor.person_id)


async def unread_channels(uow: UnitOfWork, actor: Actor) -> list[tuple[LabTeam, LabChannel, int]]:
    """The channels of the actor's teams with top-level messages they have not read."""
    found = []
    for team in await my_teams(uow, actor):
        found += [(team, channel, unread) for channel, unread in await channel_list(uow, actor, team) if unread]
    return found


async def managed_teams(uow: UnitOfWork, actor: Actor) -> list[LabTeam]:
    """Teams whose rosters the actor keeps: names only, never their content."""
    schools = [institution.id for institution in await registrable_institutions(uow, actor)]
    return await queries.teams_at(uow.session, schools) if schools else []


# --- channels ---------------------------------------------------------------------------------


async def _add_channel(uow: UnitOfWork, team: LabTeam, name: str, *, is_general: bool, roster: Roster) -> LabChannel:
    conversation = await conversations.open_conversation(
        uow, kind=ConversationKind.CHANNEL, scope=SpaceScope.MEMBERS, title=f"{team.name} · #{name}", institution_id=team.institution_id
    )
    await conversations.set_members(uow, conversation, _channel_members(roster))
    channel = LabChannel(team_id=team.id, conversation_id=conversation.id, name=name, is_general=is_general, created_at=uow.clock.now())
    uow.session.add(channel)
    await uow.flush()
    return channel


def _roster_of(ref: TeamRef) -> Roster:
    return Roster(ref.member_ids, ref.lead_ids, ref.facilitator_id)


async def open_channel(uow: UnitOfWork, actor: Actor, team_id: object, *, name: object) -> LabChannel:
    """Open a topic channel. Who: `lab.team.lead` (team leads, the facilitator)."""
    team, ref = await access_team(uow, actor, team_id)
    policy.require(actor, Action.LAB_TEAM_LEAD, ref)
    label = clean_line(name, "Name", limit=60).lower().replace(" ", "-")
    if label in {channel.name for channel in await queries.channels_of(uow.session, team.id)}:
        raise Conflict("The team has a channel of that name already.")
    return await _add_channel(uow, team, label, is_general=False, roster=_roster_of(ref))


async def access_channel(uow: UnitOfWork, actor: Actor, channel_id: object) -> tuple[LabTeam, TeamRef, LabChannel]:
    channel = await uow.session.get(LabChannel, _lookup_key(channel_id))
    if channel is None:
        raise NotFound("channel")
    try:
        team, ref = await access_team(uow, actor, channel.team_id)
    except NotFound:
        raise NotFound("channel") from None
    return team, ref, channel


async def channel_list(uow: UnitOfWork, actor: Actor, team: LabTeam) -> list[tuple[LabChannel, int]]:
    """The team's channels with the actor's unread count (top-level messages only)."""
    channels = await queries.channels_of(uow.session, team.id)
    unread = await queries.unread_top_level(uow.session, actor.person_id, [c.conversation_id for c in channels])
    return [(channel, unread[channel.conversation_id]) for channel in channels]


async def view_channel(uow: UnitOfWork, actor: Actor, channel_id: object, *, thread: int | None) -> ChannelView:
    """A channel's recent top-level messages with reply counts, its pins, and one thread
    when asked; marks the channel read (as the forum does for a thread page)."""
    team, ref, channel = await access_channel(uow, actor, channel_id)
    conversation = await conversations.access_conversation(uow, actor, channel.conversation_id)
    rows = await queries.top_level_messages(uow.session, conversation.id, limit=CHANNEL_PAGE)
    thread_rows = await queries.thread_messages(uow.session, conversation.id, thread) if thread is not None else None
    if thread_rows is not None and (not thread_rows or thread_rows[0][0].seq != thread or thread_rows[0][0].reply_to_seq is not None):
        raise NotFound("thread")
    pins = [conversations.message_payload(message, author) for _pin, message, author in await queries.pins(uow.session, conversation.id)]
    if conversation.last_seq:
        await conversations.mark_read(uow, actor, conversation.id, seq=conversation.last_seq)
    channels = await channel_list(uow, actor, team)
    return ChannelView(
        team=team, channel=channel, channels=channels,
        messages=[conversations.message_payload(m, a) for m, a in rows], reply_counts=await queries.thread_counts(uow.session, conversation.id),
        pins=pins, thread=[conversations.message_payload(m, a) for m, a in thread_rows] if thread_rows is not None else None,
        thread_root=thread, may_pin=policy.can(actor, Action.LAB_TEAM_LEAD, ref),
        may_moderate=policy.can(actor, Action.MESSAGE_MODERATE, conversation), last_seq=conversation.last_seq,
        others=await last_seqs(uow, [c.conversation_id for c, _ in channels if c.id != channel.id]),
        own_sources={
            m.seq: m.body for m, _ in [*rows, *(thread_rows or [])]
            if m.author_id == actor.person_id and m.deleted_at is None and m.hidden_at is None
        },
    )


async def last_seqs(uow: UnitOfWork, conversation_ids: list[int]) -> dict[int, int]:
    """The newest seq of each conversation: where a page's live subscriptions start."""
    if not conversation_ids:
        return {}
    rows = await uow.session.execute(select(Conversation.id, Conversation.last_seq).where(Conversation.id.in_(conversation_ids)))
    return {cid: seq for cid, seq in rows.all()}


MENTION_SUGGESTIONS = 8


async def mention_candidates(uow: UnitOfWork, actor: Actor, channel_id: object, *, prefix: str) -> list[Person]:
    """People of the channel's team (and its facilitator) whose name contains `prefix`, for
    the @mention helper: never anyone who could not read the channel (SEC-A3)."""
    _team, ref, _channel = await access_channel(uow, actor, channel_id)
    wanted = prefix.strip().casefold()[:40]
    ids = sorted((ref.member_ids | {ref.facilitator_id}) - {actor.person_id})
    people = [p for p in (await uow.session.execute(select(Person).where(Person.id.in_(ids), Person.is_deleted.is_(False)).order_by(Person.display_name))).scalars()]
    return [p for p in people if wanted in p.display_name.casefold()][:MENTION_SUGGESTIONS]


async def thread_messages(uow: UnitOfWork, actor: Actor, channel: LabChannel, root_seq: object) -> list[dict[str, Any]]:
    """A thread's root and replies as message payloads; NotFound when it is no thread root."""
    root = _lookup_key(root_seq)
    conversation = await conversations.access_conversation(uow, actor, channel.conversation_id)
    rows = await queries.thread_messages(uow.session, conversation.id, root)
    if not rows or rows[0][0].seq != root or rows[0][0].reply_to_seq is not None:
        raise NotFound("thread")
    return [conversations.message_payload(m, a) for m, a in rows]


async def thread_root(uow: UnitOfWork, conversation_id: int, reply_to: object) -> int | None:
    """The thread a reply belongs in: replying to a reply answers in its root's thread."""
    if reply_to in (None, ""):
        return None
    seq = _lookup_key(reply_to)
    message = await queries.message_at(uow.session, conversation_id, seq)
    if message is None:
        raise Invalid("The message you reply to does not exist.", field="reply_to")
    return message.reply_to_seq or message.seq


async def post(
    uow: UnitOfWork, actor: Actor, channel_id: object, *, body: object, client_msg_id: object, reply_to: object = None,
    upload: attachments.Upload | None = None, confirmed: bool = False,
) -> conversations.Posted:
    """Post in a channel, or reply in a thread, maybe with one attached file; the core
    checks and stores the message, the attachments package the file (shared package)."""
    _team, _ref, channel = await access_channel(uow, actor, channel_id)
    root = await thread_root(uow, channel.conversation_id, reply_to)
    if upload is None:
        return await conversations.post_message(uow, actor, channel.conversation_id, body=body, client_msg_id=client_msg_id, reply_to=root, confirmed=confirmed)
    conversation = await conversations.access_conversation(uow, actor, channel.conversation_id)
    attachment = await attachments.attach(uow, actor, conversation, upload)
    attached_text = attachments.text_of(attachment, upload)
    conversations.require_confirmed(attached_text, confirmed, subject=f"The file {attachment.filename}", field="file")
    text = body.strip() if isinstance(body, str) else ""
    link = attachments.markdown_link(attachment)
    posted = await conversations.post_message(
        uow, actor, conversation.id, body=f"{text}\n\n{link}" if text else link, client_msg_id=client_msg_id, reply_to=root, confirmed=confirmed
    )
    attachment.seq = posted.seq
    await conversations.screen_attached_text(uow, posted, attached_text)
    return posted


async def set_pin(uow: UnitOfWork, actor: Actor, channel_id: object, seq: object, *, pinned: bool) -> bool:
    """Pin or unpin a message. Who: `lab.team.lead`. Emits: pin/add or pin/remove on conv:<id>."""
    _team, ref, channel = await access_channel(uow, actor, channel_id)
    message = await queries.message_at(uow.session, channel.conversation_id, _lookup_key(seq))
    if message is None or message.deleted_at is not None or message.hidden_at is not None:
        raise NotFound("message")
    policy.require(actor, Action.LAB_TEAM_LEAD, ref)
    existing = await uow.session.get(LabPin, (channel.conversation_id, message.seq))
    if pinned and existing is None:
        uow.session.add(LabPin(conversation_id=channel.conversation_id, seq=message.seq, pinned_by_id=actor.person_id, pinned_at=uow.clock.now()))
    elif not pinned and existing is not None:
        await uow.session.delete(existing)
    else:
        return pinned
    data = {"conversation": channel.conversation_id, "seq": message.seq, "by": actor.display_name}
    uow.emit(Event(conversation_topic(channel.conversation_id), "pin", "add" if pinned else "remove", message.seq, data))
    return pinned


async def channel_message(uow: UnitOfWork, actor: Actor, channel_id: object) -> LabChannel:
    """The channel, for the core's edit, delete and react on its conversation."""
    _team, _ref, channel = await access_channel(uow, actor, channel_id)
    return channel


# --- the core's hooks -------------------------------------------------------------------------


async def _after_post(uow: UnitOfWork, stored: list[hooks.StoredMessage]) -> None:
    """Count thread replies in the same transaction, tell the thread's readers live, and
    notify the people mentioned (the core resolved mentions to readers only)."""
    for item in stored:
        if item.reply_to is not None:
            await _count_reply(uow, item)
        if item.mentioned:
            await _notify_mentions(uow, item)


async def _count_reply(uow: UnitOfWork, item: hooks.StoredMessage) -> None:
    root = await uow.session.get(LabThread, (item.conversation.id, item.reply_to))
    if root is None:
        root = LabThread(conversation_id=item.conversation.id, root_seq=item.reply_to, reply_count=0, last_reply_seq=0)
        uow.session.add(root)
    root.reply_count += 1
    root.last_reply_seq = max(root.last_reply_seq, item.seq)
    await uow.flush()
    data = {"conversation": item.conversation.id, "root": item.reply_to, "replies": root.reply_count}
    uow.emit(Event(conversation_topic(item.conversation.id), "thread_replies", "update", item.reply_to, data))


async def _notify_mentions(uow: UnitOfWork, item: hooks.StoredMessage) -> None:
    channel = await queries.channel_by_conversation(uow.session, item.conversation.id)
    conversation = await uow.session.get(Conversation, item.conversation.id)
    if channel is None or conversation is None:
        return
    await notifications.notify(
        uow, recipients=item.mentioned, kind="mention", conversation=conversation, seq=item.seq, actor_id=item.author_id,
        summary=f"mentioned you in #{channel.name}", link=f"/labs/channels/{channel.id}#m{item.seq}",
    )


async def _page_of(uow: UnitOfWork, conversation: Conversation, seq: int | None) -> str | None:
    channel = await queries.channel_by_conversation(uow.session, conversation.id)
    if channel is None:
        return None
    if seq is not None:
        message = await queries.message_at(uow.session, conversation.id, seq)
        if message is not None and message.reply_to_seq is not None:
            return f"/labs/channels/{channel.id}?thread={message.reply_to_seq}#m{seq}"
    return f"/labs/channels/{channel.id}" + (f"#m{seq}" if seq else "")


hooks.on_post(ConversationKind.CHANNEL.value, _after_post)
hooks.on_page(ConversationKind.CHANNEL.value, _page_of)




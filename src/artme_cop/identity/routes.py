"""HTTP adapters of the identity package: sign-in, invitations, passwords, one's own
account, and the administration pages of institutions, cohorts, people and invitations.

Each endpoint parses the form (through `read_form`, which checks CSRF), calls one service
function inside one unit of work, and renders the result or the error.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from artme_cop import policy, ratelimit, security_log, zones
from artme_cop.attachments import service as attachments
from artme_cop.errors import Conflict, DomainError, Invalid
from artme_cop.forum import service as forum
from artme_cop.identity import service as identity
from artme_cop.identity.service import two_step
from artme_cop.identity.models import ROLE_LABELS, Constituency
from artme_cop.labs import service as labs
from artme_cop.labs import sessions as lab_sessions
from artme_cop.program.calendar import service as calendar
from artme_cop.unit_of_work import UnitOfWork
from artme_cop.web import flash
from artme_cop.web.auth import actor_of, begin_half_sign_in, begin_session, end_session, passed_two_step, require_actor
from artme_cop.web.client import client_address
from artme_cop.web.csrf import read_form
from artme_cop.web.forms import page_key, text, values
from artme_cop.web.templating import render


def _uow(request: Request) -> UnitOfWork:
    return request.app.state.uow()


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(target: str) -> str:
    """Only same-site paths, so the sign-in form cannot send people elsewhere."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _form_error(exc: DomainError) -> dict[str, str]:
    return {exc.field or "_form": exc.message}


# --- home, sign-in, sign-out ----------------------------------------------------------------


async def home_page(request: Request) -> Response:
    actor = actor_of(request)
    if actor is None:
        return render(request, "identity/welcome.html")
    async with _uow(request) as uow:
        overview = await identity.my_overview(uow, actor)
        sessions = await calendar.upcoming_sessions(uow, actor, limit=5)
        labs_upcoming = await lab_sessions.scheduled_for(uow, actor, ending_after=uow.clock.now(), limit=5)
        unread_threads = await forum.unread_threads(uow, actor, limit=5)
        unread_channels = await labs.unread_channels(uow, actor)
    context = {"overview": overview, "sessions": sessions, "lab_sessions": labs_upcoming, "unread_threads": unread_threads, "unread_channels": unread_channels}
    return render(request, "identity/home.html", context)


async def login_page(request: Request) -> Response:
    if actor_of(request) is not None:
        return _redirect("/")
    return render(request, "identity/login.html", {"next": safe_next(request.query_params.get("next", "/"))})


async def login_submit(request: Request) -> Response:
    form = await read_form(request)
    email, password, target = text(form, "email"), text(form, "password"), safe_next(text(form, "next"))
    settings = request.app.state.settings
    address = client_address(request)
    limiter = request.app.state.rate_limiter
    await limiter.hit(settings.login_limit_address, "sign-in-address", address)
    await limiter.hit(settings.login_limit_account, "sign-in-account", email.strip().casefold()[:254])
    async with _uow(request) as uow:
        person = await identity.sign_in(uow, email=email, password=password, address=address)
        second_step = person is not None and await two_step.is_on(uow, person.id)
    if person is None:
        context = {"form": {"email": email}, "errors": {"_form": identity.SIGN_IN_FAILED}, "next": target}
        return render(request, "identity/login.html", context, status_code=400)
    if second_step:
        begin_half_sign_in(request, person)
        return _redirect(f"/login/two-step?next={quote(target, safe='/')}")
    begin_session(request, person)
    security_log.event("sign_in", outcome=security_log.OK, person=person.id, address=address, second_step="no")
    return _redirect(target)


async def logout_submit(request: Request) -> Response:
    await read_form(request)
    actor = actor_of(request)
    if actor is not None:
        async with _uow(request) as uow:
            await identity.sign_out(uow, actor)
    end_session(request)
    flash.add(request, "You are signed out.")
    return _redirect("/login")


# --- invitations ------------------------------------------------------------------------------


async def invitation_page(request: Request) -> Response:
    token = request.path_params["token"]
    try:
        async with _uow(request) as uow:
            opened = await identity.open_invitation(uow, token)
    except Invalid as exc:
        return render(request, "identity/invitation_invalid.html", {"message": exc.message}, status_code=400)
    return render(request, "identity/accept.html", {"opened": opened, "token": token})


async def invitation_submit(request: Request) -> Response:
    form = await read_form(request)
    token = request.path_params["token"]
    settings = request.app.state.settings
    address = client_address(request)
    await request.app.state.rate_limiter.hit(settings.accept_limit_address, "accept-address", address)
    actor = actor_of(request)
    try:
        if actor is not None:
            async with _uow(request) as uow:
                await identity.accept_invitation_signed_in(uow, actor, token, address=address)
            flash.add(request, "The invitation was added to your account.")
            return _redirect("/")
        async with _uow(request) as uow:
            person = await identity.accept_invitation(
                uow, token, display_name=text(form, "display_name"), pronouns=text(form, "pronouns"), password=text(form, "password"), address=address
            )
    except (Invalid, Conflict) as exc:
        async with _uow(request) as uow:
            try:
                opened = await identity.open_invitation(uow, token)
            except Invalid as gone:
                return render(request, "identity/invitation_invalid.html", {"message": gone.message}, status_code=400)
        context = {"opened": opened, "token": token, "form": values(form, "display_name", "pronouns"), "errors": _form_error(exc)}
        return render(request, "identity/accept.html", context, status_code=400)
    begin_session(request, person)
    flash.add(request, f"Welcome, {person.display_name}. Your account is ready.")
    return _redirect("/")


# --- passwords ----------------------------------------------------------------------------------


async def password_page(request: Request) -> Response:
    require_actor(request)
    return render(request, "identity/password.html")


async def password_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    try:
        async with _uow(request) as uow:
            await identity.change_password(uow, actor, current=text(form, "current_password"), new=text(form, "new_password"))
            person = await identity.get_profile(uow, actor)
    except Invalid as exc:
        return render(request, "identity/password.html", {"errors": _form_error(exc)}, status_code=400)
    # Other sessions ended with the old epoch; this one continues under the new one.
    begin_session(request, person, two_step=passed_two_step(request))
    flash.add(request, "Your password is changed. You were signed out everywhere else.")
    return _redirect("/me")


async def forgot_page(request: Request) -> Response:
    return render(request, "identity/forgot.html")


async def forgot_submit(request: Request) -> Response:
    form = await read_form(request)
    settings = request.app.state.settings
    await request.app.state.rate_limiter.hit(settings.accept_limit_address, "reset-address", client_address(request))
    async with _uow(request) as uow:
        await identity.request_password_reset(uow, email=text(form, "email"))
    return render(request, "identity/forgot_sent.html")


async def reset_page(request: Request) -> Response:
    try:
        async with _uow(request) as uow:
            await identity.check_reset_token(uow, request.path_params["token"])
    except Invalid as exc:
        return render(request, "identity/reset_invalid.html", {"message": exc.message}, status_code=400)
    return render(request, "identity/reset.html", {"token": request.path_params["token"]})


async def reset_submit(request: Request) -> Response:
    form = await read_form(request)
    token = request.path_params["token"]
    settings = request.app.state.settings
    await request.app.state.rate_limiter.hit(settings.accept_limit_address, "reset-address", client_address(request))
    try:
        async with _uow(request) as uow:
            await identity.reset_password(uow, token=token, new_password=text(form, "password"))
    except Invalid as exc:
        if exc.field is None:
            return render(request, "identity/reset_invalid.html", {"message": exc.message}, status_code=400)
        return render(request, "identity/reset.html", {"token": token, "errors": _form_error(exc)}, status_code=400)
    end_session(request)
    flash.add(request, "Your password is changed. Sign in with the new one.")
    return _redirect("/login")


# --- one's own account ----------------------------------------------------------------------------


async def _account_page(request: Request, actor: policy.Actor, form: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> Response:
    """The account page: the profile form (as sent, after an error) and the rest of the account."""
    async with request.app.state.uow(read_only=True) as uow:
        overview = await identity.my_overview(uow, actor)
        feed = await calendar.feed_status(uow, actor)
        stored = await attachments.stored_bytes(uow, actor.person_id)
        two_step_on = await two_step.is_on(uow, actor.person_id)
    person = overview.person
    if form is None:
        form = {"display_name": person.display_name, "pronouns": person.pronouns, "title": person.title, "time_zone": person.time_zone}
    quota = request.app.state.settings.upload_quota_bytes
    files = {"stored": attachments.mebibytes(stored), "quota": attachments.mebibytes(quota), "percent": min(100, round(100 * stored / quota))}
    context = {"overview": overview, "feed": feed, "files": files, "form": form, "errors": errors or {}, "two_step_on": two_step_on, "zones": zones.ZONES}
    return render(request, "identity/me.html", context, status_code=400 if errors else 200)


async def me_page(request: Request) -> Response:
    return await _account_page(request, require_actor(request))


async def me_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    fields = values(form, "display_name", "pronouns", "title")
    chosen_zone = text(form, "time_zone") if "time_zone" in form else None  # absent: kept as it is
    try:
        async with _uow(request) as uow:
            await identity.update_profile(uow, actor, **fields, time_zone=chosen_zone)
    except Invalid as exc:
        return await _account_page(request, actor, {**fields, "time_zone": chosen_zone or actor.time_zone}, _form_error(exc))
    flash.add(request, "Your profile is saved.")
    return _redirect("/me")


async def export_download(request: Request) -> Response:
    actor = require_actor(request)
    await request.app.state.rate_limiter.spend(ratelimit.EXPORT, actor.person_id)
    async with _uow(request) as uow:
        data = await identity.export_my_data(uow, actor)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    headers = {"Content-Disposition": 'attachment; filename="artme-my-data.json"'}
    return Response(body, media_type="application/json", headers=headers)


async def delete_page(request: Request) -> Response:
    require_actor(request)
    return render(request, "identity/delete.html")


async def delete_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    try:
        async with _uow(request) as uow:
            await identity.delete_my_account(uow, actor, password=text(form, "password"))
    except Invalid as exc:
        return render(request, "identity/delete.html", {"errors": _form_error(exc)}, status_code=400)
    end_session(request)
    flash.add(request, "Your account is deleted. What you wrote now shows as from a deleted account.")
    return _redirect("/login")


routes = [
    Route("/", home_page, name="home"),
    Route("/login", login_page, name="login"),
    Route("/login", login_submit, methods=["POST"], name="login_submit"),
    Route("/logout", logout_submit, methods=["POST"], name="logout"),
    Route("/invitations/{token}", invitation_page, name="invitation"),
    Route("/invitations/{token}", invitation_submit, methods=["POST"], name="invitation_submit"),
    Route("/password", password_page, name="password"),
    Route("/password", password_submit, methods=["POST"], name="password_submit"),
    Route("/password/forgot", forgot_page, name="forgot"),
    Route("/password/forgot", forgot_submit, methods=["POST"], name="forgot_submit"),
    Route("/password/reset/{token}", reset_page, name="reset"),
    Route("/password/reset/{token}", reset_submit, methods=["POST"], name="reset_submit"),
    Route("/me", me_page, name="me"),
    Route("/me", me_submit, methods=["POST"], name="me_submit"),
    Route("/me/export", export_download, name="export"),
    Route("/me/delete", delete_page, name="delete"),
    Route("/me/delete", delete_submit, methods=["POST"], name="delete_submit"),
]


# --- administration -----------------------------------------------------------------------------


async def admin_page(request: Request) -> Response:
    actor = require_actor(request)
    async with _uow(request) as uow:
        institutions = await identity.list_institutions(uow, actor)
    return render(request, "admin/index.html", {"institutions": institutions})


async def institutions_page(request: Request, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with _uow(request) as uow:
        institutions = await identity.list_institutions(uow, actor)
    return render(request, "admin/institutions.html", {"institutions": institutions, "errors": errors or {}, "form": form or {}}, status_code=status)


async def institution_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    fields = values(form, "name", "short_name")
    try:
        async with _uow(request) as uow:
            institution = await identity.create_institution(uow, actor, **fields)
    except (Invalid, Conflict) as exc:
        return await institutions_page(request, errors=_form_error(exc), form=fields, status=400)
    flash.add(request, f"{institution.name} was added.")
    return _redirect(f"/admin/institutions/{institution.id}")


async def institution_page(request: Request, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with _uow(request) as uow:
        institution = await identity.access_institution(uow, actor, request.path_params["institution_id"])
        cohorts = await identity.list_cohorts(uow, actor, institution_id=institution.id)
    context = {"institution": institution, "cohorts": cohorts, "errors": errors or {}, "form": form or {}}
    return render(request, "admin/institution.html", context, status_code=status)


async def cohort_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    fields = values(form, "name", "wave")
    try:
        async with _uow(request) as uow:
            cohort = await identity.create_cohort(uow, actor, institution_id=request.path_params["institution_id"], **fields)
    except (Invalid, Conflict) as exc:
        return await institution_page(request, errors=_form_error(exc), form=fields, status=400)
    flash.add(request, f"Cohort {cohort.name} was added.")
    return _redirect(f"/admin/institutions/{cohort.institution_id}")


async def cohort_page(request: Request) -> Response:
    actor = require_actor(request)
    async with _uow(request) as uow:
        roster = await identity.cohort_roster(uow, actor, request.path_params["cohort_id"])
    return render(request, "admin/cohort.html", {"roster": roster})


async def people_page(request: Request) -> Response:
    actor = require_actor(request)
    after = request.query_params.get("after")
    async with _uow(request) as uow:
        people = await identity.list_people(uow, actor, after=page_key(after))
        institutions = {i.id: i.name for i in await identity.list_institutions(uow, actor)}
    return render(request, "admin/people.html", {"people": people, "institutions": institutions})


async def person_page(request: Request, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with _uow(request) as uow:
        detail = await identity.access_person(uow, actor, request.path_params["person_id"])
        second_step = {"on": await two_step.is_on(uow, detail.person.id), "may_reset": await two_step.may_reset(uow, actor, detail.person.id)}
    context = {"detail": detail, "grantable": policy.grantable_roles(actor), "errors": errors or {}, "two_step": second_step}
    return render(request, "admin/person.html", context, status_code=status)


async def role_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    try:
        async with _uow(request) as uow:
            await identity.grant_role(
                uow, actor, request.path_params["person_id"], role=text(form, "role"), cohort_id=text(form, "cohort_id") or None, address=client_address(request)
            )
    except (Invalid, Conflict) as exc:
        return await person_page(request, errors=_form_error(exc), status=400)
    flash.add(request, "The role was granted.")
    return _redirect(f"/admin/people/{request.path_params['person_id']}")


async def role_revoke_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    async with _uow(request) as uow:
        await identity.revoke_role(uow, actor, request.path_params["assignment_id"], address=client_address(request))
    flash.add(request, "The role was removed.")
    person_id = text(form, "person_id")
    return _redirect(f"/admin/people/{person_id}" if person_id.isdigit() else "/admin/people")


async def invitations_page(request: Request, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None, link: str | None = None, status: int = 200) -> Response:
    actor = require_actor(request)
    async with _uow(request) as uow:
        rows = await identity.list_invitations(uow, actor)
        institutions = await identity.list_institutions(uow, actor)
        cohorts = await identity.list_cohorts(uow, actor)
    context = {
        "rows": rows,
        "institutions": institutions,
        "cohorts": cohorts,
        "roles": policy.grantable_roles(actor),
        "constituencies": list(Constituency),
        "role_labels": ROLE_LABELS,
        "errors": errors or {},
        "form": form or {},
        "link": link,
    }
    return render(request, "admin/invitations.html", context, status_code=status)


async def invitation_create_submit(request: Request) -> Response:
    actor = require_actor(request)
    form = await read_form(request)
    fields = values(form, "email", "institution_id", "cohort_id", "role", "constituency")
    try:
        async with _uow(request) as uow:
            invitation, link = await identity.invite(
                uow,
                actor,
                email=fields["email"],
                institution_id=fields["institution_id"],
                cohort_id=fields["cohort_id"] or None,
                role=fields["role"],
                constituency=fields["constituency"],
                address=client_address(request),
            )
    except (Invalid, Conflict) as exc:
        return await invitations_page(request, errors=_form_error(exc), form=fields, status=400)
    flash.add(request, f"Invitation sent to {invitation.email}.")
    return await invitations_page(request, link=link)


async def invitation_revoke_submit(request: Request) -> Response:
    actor = require_actor(request)
    await read_form(request)
    async with _uow(request) as uow:
        invitation = await identity.revoke_invitation(uow, actor, request.path_params["invitation_id"], address=client_address(request))
    flash.add(request, f"The invitation to {invitation.email} was revoked.")
    return _redirect("/admin/invitations")


admin_routes = [
    Route("/", admin_page, name="index"),
    Route("/institutions", institutions_page, name="institutions"),
    Route("/institutions", institution_submit, methods=["POST"], name="institution_submit"),
    Route("/institutions/{institution_id}", institution_page, name="institution"),
    Route("/institutions/{institution_id}/cohorts", cohort_submit, methods=["POST"], name="cohort_submit"),
    Route("/cohorts/{cohort_id}", cohort_page, name="cohort"),
    Route("/people", people_page, name="people"),
    Route("/people/{person_id}", person_page, name="person"),
    Route("/people/{person_id}/roles", role_submit, methods=["POST"], name="role_submit"),
    Route("/roles/{assignment_id}/revoke", role_revoke_submit, methods=["POST"], name="role_revoke"),
    Route("/invitations", invitations_page, name="invitations"),
    Route("/invitations", invitation_create_submit, methods=["POST"], name="invitation_create"),
    Route("/invitations/{invitation_id}/revoke", invitation_revoke_submit, methods=["POST"], name="invitation_revoke"),
]

"""Identity intents: sign-in, sessions, passwords, profiles, and the administration of
institutions, cohorts, roles and invitations, one module per area.

Every intent takes the unit of work first and the acting person second, checks the policy,
validates, writes, and records what the audit log must keep. It never touches HTTP: the
routes translate forms into these calls and domain errors into pages. Callers import this
package (`from artme_cop.identity import service as identity`); the names below are its API.
"""

from artme_cop.identity import queries
from artme_cop.identity.service._shared import COHORT_ROLES, INVALID_LINK, SIGN_IN_FAILED, _apply_grant, invitation_status
from artme_cop.identity.service.accounts import create_admin, delete_my_account, export_my_data, get_profile, update_profile
from artme_cop.identity.service.invitations import (
    InvitationRow,
    OpenInvitation,
    accept_invitation,
    accept_invitation_signed_in,
    invitation_link,
    invite,
    list_invitations,
    open_invitation,
    revoke_invitation,
)
from artme_cop.identity.service.organisation import (
    ParticipationCount,
    PersonDetail,
    Roster,
    RosterEntry,
    access_institution,
    access_person,
    cohort_roster,
    create_cohort,
    create_institution,
    grant_role,
    list_cohorts,
    list_institutions,
    list_people,
    revoke_role,
)
from artme_cop.identity.service.sessions import (
    Overview,
    actors_for,
    actors_for_sync,
    change_password,
    check_reset_token,
    load_actor,
    my_overview,
    people_by_id,
    request_password_reset,
    reset_password,
    sign_in,
    sign_out,
)

__all__ = [
    "COHORT_ROLES", "INVALID_LINK", "SIGN_IN_FAILED", "InvitationRow", "OpenInvitation", "Overview",
    "ParticipationCount", "PersonDetail", "Roster", "RosterEntry", "_apply_grant", "accept_invitation",
    "accept_invitation_signed_in", "access_institution", "access_person", "actors_for", "actors_for_sync", "change_password",
    "check_reset_token", "cohort_roster", "create_admin", "create_cohort", "create_institution",
    "delete_my_account", "export_my_data", "get_profile", "grant_role", "invitation_link", "invitation_status",
    "invite", "list_cohorts", "list_institutions", "list_invitations", "list_people", "load_actor",
    "my_overview", "open_invitation", "people_by_id", "queries", "request_password_reset", "reset_password",
    "revoke_invitation", "revoke_role", "sign_in", "sign_out", "update_profile",
]

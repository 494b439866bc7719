"""Team learning labs: teams and their private channels, team-based learning sessions
(readiness checks, application exercises, a simultaneous report-out), commitments and
success reports (DOMAIN.md, Team Learning Lab)."""

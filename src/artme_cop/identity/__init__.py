"""Institutions, cohorts, people, roles, invitations, sign-in and sessions."""

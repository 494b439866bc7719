"""Phases and waves: the six phases per wave, each cohort's current phase and exit checklists."""

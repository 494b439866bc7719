"""The anonymous readiness-for-change assessment of each cohort, shown only as suppressed aggregates."""

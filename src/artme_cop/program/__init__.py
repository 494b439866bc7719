"""The program backbone: phases and waves, the session calendar, readiness, coalition work (issue #8)."""

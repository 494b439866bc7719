"""Monitoring pages: a school's targets, plans, markers and wins, and the program's view in aggregate only."""

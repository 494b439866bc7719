"""The program backbone: phases, calendar, readiness, the guiding coalition, outcome mapping, wins and monitoring."""

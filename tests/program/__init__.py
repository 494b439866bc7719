"""Tests of the program backbone: phases, calendar, readiness."""

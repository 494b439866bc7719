"""The session calendar: sessions of every kind, their invitees, and the personal iCalendar feed."""

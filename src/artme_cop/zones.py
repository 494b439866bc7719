"""Time zones. Every time is stored in UTC; pages show it in the reader's own zone (chosen on
their account page, UTC until they choose), and forms read the times people type in it, since
a consortium spread over North America should not do time-zone arithmetic in its head.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from artme_cop.errors import Invalid

# The zones the program's schools are in; UTC for program-wide times.
ZONES = (
    "UTC",
    "America/New_York",
    "America/Toronto",
    "America/Chicago",
    "America/Winnipeg",
    "America/Denver",
    "America/Edmonton",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Vancouver",
    "America/Halifax",
    "America/St_Johns",
    "America/Anchorage",
    "Pacific/Honolulu",
)
DEFAULT = "UTC"


def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name if name in ZONES else DEFAULT)


def clean_zone(value: object, *, field: str = "time_zone") -> str:
    if not isinstance(value, str) or value not in ZONES:
        raise Invalid("Choose one of the listed time zones.", field=field)
    return value


def local(moment: datetime, name: str | None) -> datetime:
    """`moment` (aware, or naive meaning UTC) as a wall-clock time in the zone `name`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone(name))


def stamp(moment: datetime, name: str | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """`moment` in the zone, followed by the zone's abbreviation there and then ("CST", "UTC")."""
    shown = local(moment, name)
    return f"{shown.strftime(pattern)} {shown.tzname()}"


def from_local(wall_clock: datetime, name: str | None) -> datetime:
    """A time typed in the zone `name` (naive), as the aware UTC time to store. A time that
    the clocks skip or repeat takes the earlier reading (zoneinfo's fold 0)."""
    return wall_clock.replace(tzinfo=zone(name)).astimezone(timezone.utc)

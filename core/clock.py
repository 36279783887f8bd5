"""Time in one place: UTC ISO-8601 strings in the database, so tests can reason about them."""

from datetime import datetime, timezone


def now():
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def iso(moment=None):
    """``moment`` (default now) as an ISO-8601 UTC string with milliseconds, e.g. ``2026-11-29T08:00:00.000Z``."""
    moment = moment or now()
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(text):
    """Parse a string made by :func:`iso` back to an aware ``datetime``."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))

"""Time in one place: the wall clock, the shop's time zone and the shop's local days.

* The database holds UTC ISO-8601 strings (:func:`iso`), so tests and SQL can compare them as text.
* The shop has **one** time zone, the ``SHOP_TIMEZONE`` setting (an IANA name, default ``Asia/Shanghai``);
  ``create_app`` makes it the process's zone with :func:`set_shop_zone` (a hub serves one shop). Flask-Babel's
  ``BABEL_DEFAULT_TIMEZONE`` is set from it, so the ``datetime`` template filter shows the same local time.
* "Today", "the day a sale counts on" and EPCIS ``eventTimeZoneOffset`` are all the *shop's* local day and
  offset, never the hub operating system's: a tablet left on UTC must still put a 07:59 Shanghai intake on
  today's tag batch.
* Nothing else in the code reads ``datetime.now()``: :func:`now` is the one wall clock, and tests replace it
  with :func:`set_wall_clock` (see the ``fixed_clock`` fixture in ``tests/conftest.py``).
"""

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"


def _system_now():
    return datetime.now(timezone.utc)


_wall = _system_now
_zone = ZoneInfo(DEFAULT_ZONE)


def now():
    """The current time, timezone-aware UTC (from the wall clock set by :func:`set_wall_clock`)."""
    return _wall()


def set_wall_clock(source=None):
    """Replace the wall clock behind :func:`now` (tests); ``None`` restores the system clock.

    Args:
        source: a callable with no arguments returning an aware ``datetime``, or ``None``.
    """
    global _wall
    _wall = source or _system_now


def zone_named(name):
    """The ``ZoneInfo`` for an IANA zone name such as ``"Asia/Shanghai"``.

    Raises:
        ValueError: ``name`` is empty or not a zone this system knows (the message names the setting).
    """
    try:
        return ZoneInfo(str(name or "").strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"SHOP_TIMEZONE {name!r} is not an IANA time zone name such as 'Asia/Shanghai'") from None


def set_shop_zone(name):
    """Make ``name`` (IANA zone name) the shop's time zone for this process; returns its ``ZoneInfo``.

    Raises:
        ValueError: see :func:`zone_named`.
    """
    global _zone
    _zone = zone_named(name)
    return _zone


def shop_zone():
    """The shop's time zone (``ZoneInfo``)."""
    return _zone


def local(moment=None):
    """``moment`` (aware ``datetime``, default now) in the shop's time zone."""
    return (moment or now()).astimezone(_zone)


def local_today(moment=None):
    """The shop's local date at ``moment`` (aware ``datetime``, default now)."""
    return local(moment).date()


def local_date_of(text):
    """The shop's local date (``YYYY-MM-DD``) of a stored UTC string made by :func:`iso`; ``None`` for
    ``None``. Registered on every connection as the SQL function ``shop_date(text)``."""
    if text is None:
        return None
    return local(parse(text)).date().isoformat()


def day_start(day):
    """Midnight at the start of the shop's local ``day`` (``date``), as an aware UTC ``datetime``
    (DST-safe: a day may be 23 or 25 hours long)."""
    return datetime.combine(day, time(0), tzinfo=_zone).astimezone(timezone.utc)


def day_bounds(first, last=None):
    """The local days ``first``..``last`` (``date``; ``last`` defaults to ``first``, both included) as UTC
    strings ``(from_inclusive, to_exclusive)`` comparable with stored :func:`iso` times."""
    return iso(day_start(first)), iso(day_start((last or first) + timedelta(days=1)))


def utc_offset(moment=None):
    """The shop's UTC offset at ``moment`` (default now) as EPCIS ``eventTimeZoneOffset`` wants it, e.g.
    ``"+08:00"`` or ``"-04:00"`` (computed for the moment, so zones with daylight saving are right)."""
    offset = local(moment).utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def iso(moment=None):
    """``moment`` (default now) as an ISO-8601 UTC string with milliseconds, e.g. ``2026-11-29T08:00:00.000Z``."""
    moment = moment or now()
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(text):
    """Parse a string made by :func:`iso` back to an aware ``datetime``."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def local_text(text, fmt="%Y-%m-%d %H:%M"):
    """A stored UTC string shown as the shop's local time with ``strftime`` format ``fmt``; ``""`` for
    empty input."""
    return local(parse(text)).strftime(fmt) if text else ""


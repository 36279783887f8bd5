"""Staff accounts: PIN login with argon2 hashes and lockout after repeated failures.

PINs are 4–8 digits, hashed with Argon2id (RFC 9106) through ``argon2-cffi``. After
``attempts`` failed logins in a row the account is locked for ``lock_minutes``.
"""

import logging
import re
import unicodedata
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import has_app_context
from flask_babel import format_time
from flask_babel import lazy_gettext as _l

from core import audit, clock
from core.db import one, rows, transaction
from core.errors import Conflict, DomainError, NotFound
from staff import sessions

#: Argon2id with OWASP's minimum profile (19 MiB, 2 passes, 1 lane) rather than argon2-cffi's default
#: (RFC 9106 low-memory: 64 MiB, 3 passes, 4 lanes): every login allocated 64 MiB, which took the server's
#: peak RSS from ~80 to ~150 MB and would multiply on a small hub when several tablets log in at once.
#: A 4–8 digit PIN's strength is the lockout, not the hash cost. Old hashes carry their own parameters
#: and still verify.
PIN_HASH_PARAMS = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
_hasher = PasswordHasher(**PIN_HASH_PARAMS)
ROLES = ("owner", "cashier")
log = logging.getLogger("resale.auth")


class LoginError(DomainError):
    """Wrong PIN, or the account is locked; nothing about the PIN is revealed."""

    status = 401


def validate_pin(pin):
    """Return ``pin`` if it is 4–8 ASCII digits.

    Raises:
        DomainError: any other shape.
    """
    pin = normalize_pin(pin)
    if not re.fullmatch(r"[0-9]{4,8}", pin):
        raise DomainError(_l("A PIN is 4 to 8 digits."), field="pin")
    return pin


def normalize_pin(pin):
    """What was typed with full-width digits (a Chinese input method) as ASCII digits, stripped."""
    return unicodedata.normalize("NFKC", pin or "").strip()


def validate_name(name):
    """Return the stripped staff name (1–40 characters). Raises DomainError otherwise."""
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise DomainError(_l("Enter a name of at most 40 characters."), field="name")
    return name


def create_staff(db, name, role, pin, *, by_staff_id=None):
    """Create a staff account and return its id (audited as ``staff.add`` by ``by_staff_id``).

    Args:
        name: display name (1–40 characters).
        role: ``"owner"`` or ``"cashier"``.
        pin: 4–8 digits.
        by_staff_id: the owner adding the account (``None``: the command line, the demo).

    Raises:
        DomainError: invalid name, role or PIN.
    """
    name = validate_name(name)
    if role not in ROLES:
        raise DomainError(_l("Unknown role."), field="role")
    pin_hash = _hasher.hash(validate_pin(pin))
    with transaction(db):
        cursor = db.execute(
            "INSERT INTO staff (name, role, pin_hash, created_at) VALUES (?, ?, ?, ?)",
            (name, role, pin_hash, clock.iso()),
        )
        audit.record(db, by_staff_id, "staff.add", "staff", cursor.lastrowid, fields=("name", "role", "pin"))
    return cursor.lastrowid


def create_first_owner(db, name, pin):
    """Create the shop's first owner, only if no staff account exists yet (first-run setup, ``init``).

    The check and the insert are one ``BEGIN IMMEDIATE`` transaction, so two set-up forms sent at the same
    moment (two tablets, or someone else on the LAN) cannot both create an owner.

    Returns:
        int: the new owner's id.

    Raises:
        DomainError: invalid name or PIN. Conflict: the shop is already set up.
    """
    name = validate_name(name)
    pin_hash = _hasher.hash(validate_pin(pin))
    with transaction(db):
        if has_any_staff(db):
            raise Conflict(_l("This shop is already set up. Log in instead."))
        cursor = db.execute(
            "INSERT INTO staff (name, role, pin_hash, created_at) VALUES (?, 'owner', ?, ?)",
            (name, pin_hash, clock.iso()),
        )
        audit.record(db, cursor.lastrowid, "staff.add", "staff", cursor.lastrowid, fields=("name", "role", "pin"))
    return cursor.lastrowid


def list_staff(db, active_only=True):
    """Staff as dicts (id, name, role, active, locked_until, hub_locked_until), owners first, then by name."""
    where = "WHERE active = 1" if active_only else ""
    return rows(
        db,
        f"SELECT id, name, role, active, locked_until, hub_locked_until FROM staff {where} "
        "ORDER BY role = 'cashier', name",
    )


def get_staff(db, staff_id):
    """One active staff member as a dict, or ``None``."""
    return one(db, "SELECT id, name, role, active FROM staff WHERE id = ? AND active = 1", (staff_id,))


def has_any_staff(db):
    """True once the first-run setup created an owner."""
    return db.execute("SELECT 1 FROM staff LIMIT 1").fetchone() is not None


def _shop_time(moment):
    """``HH:MM`` in the shop's time zone (``SHOP_TIMEZONE``, :mod:`core.clock`) — not the hub OS's,
    which is often UTC on a Raspberry Pi or mini-PC."""
    if has_app_context():
        return format_time(moment, "HH:mm")
    return clock.local(moment).strftime("%H:%M")


#: The two lockout counters of an account (issue 9 §3): wrong PINs typed on a tablet or phone on the LAN
#: lock logins from the LAN; wrong PINs on the hub itself (its loopback) lock logins on the hub. A device on
#: the Wi-Fi can thus keep an account locked for the LAN, never for the owner sitting at the hub.
LOCK_COLUMNS = {False: ("failed_logins", "locked_until"), True: ("hub_failed_logins", "hub_locked_until")}


def verify_login(db, staff_id, pin, attempts=5, lock_minutes=5, moment=None, *, from_hub=False, client=None):
    """Check a PIN and return the staff member (dict) on success.

    Each failure increments the counter; at ``attempts`` failures the account locks for ``lock_minutes``.
    A success resets the counter.

    Args:
        from_hub: the PIN was typed on the hub itself (:func:`core.limits.from_hub_itself`): it counts and is
            locked separately from the LAN (:data:`LOCK_COLUMNS`).
        client: the client's address, for the log line when the account locks (never the PIN).

    Raises:
        NotFound: no such active staff member.
        LoginError: wrong PIN (with the number of tries left) or the account is locked.
    """
    moment = moment or clock.now()
    failed_col, locked_col = LOCK_COLUMNS[bool(from_hub)]
    with transaction(db):
        row = one(db, "SELECT * FROM staff WHERE id = ? AND active = 1", (staff_id,))
        if row is None:
            raise NotFound(_l("Choose who you are first."))
        if row[locked_col] and clock.parse(row[locked_col]) > moment:
            raise LoginError(_l("Too many wrong PINs. Try again after %(time)s.",
                                time=_shop_time(clock.parse(row[locked_col]))))
        try:
            _hasher.verify(row["pin_hash"], normalize_pin(pin))
        except (VerificationError, InvalidHashError):
            failures = row[failed_col] + 1
            locked = None
            if failures >= attempts:
                locked, failures = clock.iso(moment + timedelta(minutes=lock_minutes)), 0
            db.execute(f"UPDATE staff SET {failed_col} = ?, {locked_col} = ? WHERE id = ?",
                       (failures, locked, staff_id))
            if locked:
                log.warning("Account locked: staff %d (%s) for %d minutes after %d wrong PINs, the last from "
                            "client %s (%s)", row["id"], row["role"], lock_minutes, attempts, client or "unknown",
                            "the hub" if from_hub else "LAN")
                error = LoginError(_l("Too many wrong PINs. This account is locked for %(minutes)d minutes.",
                                      minutes=lock_minutes))
            else:
                error = LoginError(_l("Wrong PIN. %(left)d tries left.", left=attempts - failures))
        else:
            error = None
            db.execute(f"UPDATE staff SET {failed_col} = 0, {locked_col} = NULL WHERE id = ?", (staff_id,))
            if _hasher.check_needs_rehash(row["pin_hash"]):  # hashed with older parameters: upgrade it now
                db.execute("UPDATE staff SET pin_hash = ? WHERE id = ?",
                           (_hasher.hash(normalize_pin(pin)), staff_id))
    if error:
        raise error
    return {"id": row["id"], "name": row["name"], "role": row["role"]}


def unlock(db, name=None, *, staff_id=None, by_staff_id=None):
    """Clear the lockouts (LAN and hub) and failure counts of the staff member with id ``staff_id``, or of
    those called ``name`` (after stripping; case-insensitive), or of every account when both are ``None``.
    Audited as ``staff.unlock`` by ``by_staff_id`` (``None``: ``resale-pos unlock``), subject ``staff_id``
    (empty for by name / all), ``details.accounts`` = how many were cleared.

    Returns:
        list[str]: the names of the accounts that were locked or had failures, now cleared.

    Raises:
        NotFound: no active staff member has that name.
    """
    with transaction(db):
        where, params = "active = 1", ()
        if staff_id is not None:
            where, params = "active = 1 AND id = ?", (staff_id,)
            if one(db, f"SELECT id FROM staff WHERE {where}", params) is None:
                raise NotFound(_l("This staff member does not exist or was removed."))
        elif name is not None:
            where, params = "active = 1 AND lower(name) = lower(?)", ((name or "").strip(),)
            if one(db, f"SELECT id FROM staff WHERE {where}", params) is None:
                raise NotFound(_l("No staff member is called %(name)s.", name=name))
        cleared = [r["name"] for r in rows(db, f"SELECT name FROM staff WHERE {where} AND (failed_logins > 0 OR "
                                               "hub_failed_logins > 0 OR locked_until IS NOT NULL OR "
                                               "hub_locked_until IS NOT NULL) ORDER BY name", params)]
        db.execute(f"UPDATE staff SET failed_logins = 0, locked_until = NULL, hub_failed_logins = 0, "
                   f"hub_locked_until = NULL WHERE {where}", params)
        audit.record(db, by_staff_id, "staff.unlock", "staff", "" if staff_id is None else staff_id,
                     details={"accounts": len(cleared)})
    if cleared:
        log.warning("Lockout cleared for %d account(s)", len(cleared))
    return cleared


def set_pin(db, staff_id, pin, *, by_staff_id=None):
    """Give ``staff_id`` a new PIN (the owner resetting a forgotten one, or after :func:`change_own_pin`'s
    check) and end every session of theirs: a cookie copied before stops working. Audited as
    ``staff.pin_change`` when ``by_staff_id`` is ``staff_id`` (one's own), else ``staff.pin_reset``.

    Raises:
        DomainError: the PIN is not 4–8 digits. NotFound: no such active staff member.
    """
    pin_hash = _hasher.hash(validate_pin(pin))
    with transaction(db):
        if db.execute("UPDATE staff SET pin_hash = ?, failed_logins = 0, locked_until = NULL, hub_failed_logins = 0, "
                      "hub_locked_until = NULL WHERE id = ? AND active = 1", (pin_hash, staff_id)).rowcount != 1:
            raise NotFound(_l("This staff member does not exist or was removed."))
        sessions.end_all(db, staff_id, "pin_changed")
        audit.record(db, by_staff_id, "staff.pin_change" if by_staff_id == staff_id else "staff.pin_reset",
                     "staff", staff_id, fields=("pin",))


def change_own_pin(db, staff_id, current_pin, new_pin, new_pin_again, *, from_hub=False, client=None,
                   attempts=5, lock_minutes=5):
    """A staff member changes their own PIN: the current PIN is checked like a login (wrong ones count
    towards the lockout), the new one must be valid, typed twice and differ. Ends all their sessions
    (:func:`set_pin`); the caller opens a fresh one for the device in use.

    Raises:
        LoginError: wrong current PIN or locked account (field ``current``). DomainError: new PIN invalid,
            the two differ, or it is the current one (field ``pin`` / ``pin2``).
    """
    try:
        verify_login(db, staff_id, current_pin, attempts, lock_minutes, from_hub=from_hub, client=client)
    except LoginError as exc:
        exc.field = "current"
        raise
    new_pin = validate_pin(new_pin)
    if normalize_pin(new_pin_again) != new_pin:
        raise DomainError(_l("The two PINs differ."), field="pin2")
    if new_pin == normalize_pin(current_pin):
        raise DomainError(_l("Choose a PIN different from the current one."), field="pin")
    set_pin(db, staff_id, new_pin, by_staff_id=staff_id)


def remove_staff(db, staff_id, by_staff_id):
    """Remove a staff member (the owner's staff list): the account can no longer log in and every session
    of theirs ends at once. Their past sales, intake and payouts keep their id (the row stays, inactive).

    Audited as ``staff.remove`` by ``by_staff_id``.

    Raises:
        NotFound: no such active staff member. DomainError: removing yourself, or the last owner.
    """
    with transaction(db):
        row = one(db, "SELECT id, role FROM staff WHERE id = ? AND active = 1", (staff_id,))
        if row is None:
            raise NotFound(_l("This staff member does not exist or was removed."))
        if staff_id == by_staff_id:
            raise DomainError(_l("You cannot remove yourself; another owner can."))
        if row["role"] == "owner" and db.execute(
                "SELECT count(*) FROM staff WHERE role = 'owner' AND active = 1").fetchone()[0] <= 1:
            raise DomainError(_l("The shop needs at least one owner."))
        db.execute("UPDATE staff SET active = 0 WHERE id = ?", (staff_id,))
        sessions.end_all(db, staff_id, "removed")
        audit.record(db, by_staff_id, "staff.remove", "staff", staff_id)

"""The owner's audit log page ``/audit`` (issue 13 §7): filter by action, staff member and days, page through,
see whether the hash chain verifies, and download what is shown as CSV (that download is itself audited).

The log is written by ``core.audit``; this page only reads it. It sits in ``reports`` because the CSV goes
through ``reports.csv_export`` (the one CSV writer).
"""

from datetime import date

from flask import Blueprint, g, request
from flask_babel import lazy_gettext as _l

from core import audit
from core.backup import register_json_columns, register_restore_check
from core.db import get_db
from core.errors import DomainError
from core.web import add_settings_link, owner_only, render
from reports.csv_export import rows_csv, send_csv

bp = Blueprint("audit", __name__)

#: Rows per page.
PAGE_SIZE = 50


def _day(text, field):
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(_l("Enter the date as YYYY-MM-DD, e.g. 2027-01-01."), field=field) from None


def filters(args):
    """The page's filters from the query string: ``{"action", "staff_id", "start", "end", "page"}``; an unknown
    action, staff id or page is ignored (shows everything, page 1).

    Raises:
        DomainError: a date that is not YYYY-MM-DD (field ``from`` / ``to``), or ``from`` after ``to``.
    """
    action = args.get("action") or None
    staff = args.get("staff") or ""
    page = args.get("page") or ""
    chosen = {"action": action if action in audit.ACTIONS else None,
              "staff_id": int(staff) if staff.isdigit() and len(staff) < 10 else None,
              "page": int(page) if page.isdigit() and 0 < len(page) < 7 and int(page) > 0 else 1,
              "start": _day(args.get("from"), "from"), "end": _day(args.get("to"), "to")}
    if chosen["start"] and chosen["end"] and chosen["start"] > chosen["end"]:
        raise DomainError(_l("The first day must not be after the last."), field="from")
    return chosen


def _query(args):
    message, status = None, 200
    try:
        chosen = filters(args)
    except DomainError as exc:
        message, status = exc.message, exc.status
        chosen = filters({})
    return chosen, message, status


@bp.route("/audit")
@owner_only
def log():
    """The audit log, newest first, :data:`PAGE_SIZE` a page, with the chain's state."""
    db = get_db()
    chosen, message, status = _query(request.args)
    page = chosen.pop("page")
    entries, total = audit.entries(db, **chosen, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render("reports/audit.html", entries=entries, total=total, page=page,
                  has_more=page * PAGE_SIZE < total, chosen=chosen, actions=audit.ACTIONS,
                  actors=audit.actors(db), broken=audit.verify(db), size=audit.count(db), args=request.args,
                  message=message, status=status)


@bp.route("/audit.csv")
@owner_only
def log_csv():
    """Every row matching the filters as CSV (no page limit), audited as ``export.csv`` ``audit-log``."""
    db = get_db()
    chosen, _message, _status = _query(request.args)
    chosen.pop("page")
    entries, total = audit.entries(db, **chosen, limit=-1)
    text = rows_csv(["seq", "at", "staff_id", "staff_name", "action", "subject_kind", "subject_id", "reason",
                     "fields", "details", "hash"],
                    [[r["seq"], r["at"], r["staff_id"], r["staff_name"], r["action"], r["subject_kind"],
                      r["subject_id"], r["reason"], " ".join(r["fields"]),
                      " ".join(f"{k}={v}" for k, v in sorted(r["details"].items())), r["hash"]] for r in entries],
                    ["plain", "plain", "plain", "text", "plain", "plain", "text", "text", "plain", "plain", "plain"])
    return send_csv(text, f"audit-log-{total}.csv", db=db, staff_id=g.staff["id"], report="audit-log")


def register(app):
    """Register the blueprint, its link on the owner's settings page, and the log's restore checks (JSON columns,
    the chain)."""
    app.register_blueprint(bp)
    register_json_columns(app, "audit_log", "fields_json", "details_json")
    register_restore_check(app, "audit log", audit.restore_check)
    add_settings_link(app, "audit.log", _l("Audit log"),
                      _l("Who showed personal data, exported, erased, changed a price or a setting, voided, refunded "
                         "or paid out — when and why; the chain of entries is checked on every visit."), order=90)


__all__ = ["bp", "register"]

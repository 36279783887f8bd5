"""Sync status for staff: the online/offline badge on every page, the status page with the rejected
events and their "retry" action, and the sender worker (design brief §5; issue 4, must-have 4)."""

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import format_timedelta
from flask_babel import lazy_gettext as _l

from core.backup import register_json_columns, register_restore_check
from core.db import get_db
from core.web import add_badge, background, owner_only, render, staff_only
from core.workers import register_worker, wake_worker
from sync import catalogue, journal, portal, sender, state, stolen

bp = Blueprint("sync", __name__)


def sync_summary():
    """The figures for the badge and the page (see :func:`sync.state.summary`), for templates."""
    return state.summary(get_db(), current_app.config)


def age_text(hours):
    """A pending age in hours as words in the user's language (``3 hours``)."""
    if hours is None:
        return ""
    return format_timedelta(timedelta(hours=hours), threshold=1.0)


KIND_LABELS = {
    "intake": _l("Taken in"), "inspection": _l("Inspection"), "sale": _l("Sale"), "refund": _l("Refund"),
    "consignor_return": _l("Returned to consignor"), "donation": _l("Donated"), "scrap": _l("Scrapped"),
    "details_change": _l("Details corrected"), "withdrawal": _l("Withdrawn from sale"),
    "reservation": _l("Reserved online"), "reservation_end": _l("Reservation hold ended"),
}


def kind_label(kind):
    """An outbox event kind (a key of :data:`sync.outbox.FACTS`) in the user's language."""
    return KIND_LABELS.get(kind, kind)


def stolen_status(item_id):
    """The item's stolen-goods check (:func:`sync.stolen.status`), for the item page."""
    return stolen.status(get_db(), item_id)


def journal_line(sale_id):
    """The receipt's line for the sale's journal hash, short form (``Journal a1b2-c3d4-e5f6``), or ``""``
    for a sale made before the journal existed."""
    digest = journal.sale_hash(get_db(), sale_id)
    return _l("Journal %(hash)s", hash=journal.short_form(digest)) if digest else ""


@bp.route("/sync")
@staff_only
def status():
    """The sync status page: state, pending, oldest pending age, last success, what is published to the city
    catalogue (:func:`sync.catalogue.publication`), rejected events, and the events set aside because the hub
    could not read them (quarantined)."""
    return render("sync/status.html", summary=sync_summary(), rejected=state.rejected_events(get_db()),
                  quarantined=state.quarantined_events(get_db()), catalogue=catalogue.publication(get_db()),
                  registry_url=state.registry_url(get_db(), current_app.config),
                  settings_url=_settings_url())


def _settings_url():
    """Where the owner sets the registry: the settings page's registry section, when an area registered the
    page (``settings.page``), else ``None``."""
    if "settings.page" not in current_app.view_functions:
        return None
    return url_for("settings.page", _anchor="registry")


@bp.route("/sync/badge")
@staff_only
@background
def badge():
    """The badge alone (htmx polls it)."""
    return render("sync/_badge.html")


@bp.route("/sync/now", methods=["POST"])
@staff_only
def sync_now():
    """Drop the backoff so the sender tries at once."""
    state.set_state(get_db(), next_attempt_at=None)
    flash(_l("The hub will try to reach the registry now."), "success")
    return redirect(url_for("sync.status"))


@bp.route("/sync/rejected/<int:outbox_id>/retry", methods=["POST"])
@staff_only
def retry(outbox_id):
    """Send a rejected event again (after the cause was fixed at the registry)."""
    count = state.retry_rejected(get_db(), outbox_id)
    flash(_l("The record is queued again.") if count else _l("That record is no longer rejected."),
          "success" if count else "error")
    return redirect(url_for("sync.status"))


@bp.route("/sync/rejected/retry", methods=["POST"])
@staff_only
def retry_all():
    """Send every rejected event again."""
    count = state.retry_rejected(get_db())
    flash(_l("%(n)d records are queued again.", n=count), "success")
    return redirect(url_for("sync.status"))


@bp.route("/items/<int:item_id>/stolen-check/again", methods=["POST"])
@owner_only
def stolen_ask_again(item_id):
    """Ask the registry again about the item's stolen-goods check (after the authority marked its report
    recovered); the answer it had stands until the new one comes."""
    count = stolen.ask_again(get_db(), item_id)
    if count:
        wake_worker(current_app, "stolen-check")
    flash(_l("The hub will ask the registry again.") if count else _l("There is no answered check to ask again."),
          "success" if count else "error")
    return redirect(url_for("inventory.item_detail", item_id=item_id))


def register(app):
    """Register the blueprint, its navigation entry, the badge on every staff page, the sender worker and
    the stolen-goods check worker (``sync.stolen``)."""
    app.register_blueprint(bp)
    app.add_template_global(sync_summary)
    app.add_template_global(age_text, "sync_age_text")
    app.add_template_global(kind_label, "sync_kind_label")
    app.add_template_global(journal_line, "sync_journal_line")
    # no navigation entry: the sync badge on every staff page links to /sync (the owner's nav fits one row)
    add_badge(app, "sync/_badge.html")
    register_worker(app, "sync", sender.worker_step, float(app.config.get("SYNC_INTERVAL", 15)))
    sender.add_pass_step("catalogue", catalogue.pass_step)  # the shop profile and listing switches
    register_worker(app, "stolen-check", stolen.worker_step, float(app.config.get("SYNC_INTERVAL", 15)))
    register_worker(app, "portal", portal.worker_step, float(app.config.get("SYNC_INTERVAL", 15)))
    app.add_template_global(stolen_status)
    register_json_columns(app, "stolen_checks", "reports_json")
    register_json_columns(app, "outbox", "event_json")
    register_json_columns(app, "sync_state", "value")
    register_restore_check(app, "sales journal", journal.restore_check)

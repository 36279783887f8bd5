"""Privacy routes (owner only): the purge outlook and retention/notice settings, and one person's page with the
export (JSON and PDF), correction and, for sellers, erasure on request. Consignors are erased by
``consignment.erase`` (the form is on their page here too).

Where the lead wires the audit log (issue 13 §7): exports are :func:`consignor_json`, :func:`consignor_pdf`,
:func:`seller_json`, :func:`seller_pdf` (unmasking in :func:`privacy.people.consignor_export` /
``seller_export``); erasure :func:`seller_erase` (``privacy.people.erase_seller_on_request``) and
``consignment.views.contracts.erase``; the purge :func:`purge_step` (``privacy.retention.purge_due``);
corrections :func:`consignor_correct`, :func:`seller_correct`; settings :func:`settings`.
"""

import json
from pathlib import Path

from flask import Blueprint, Response, current_app, flash, g, redirect, request, url_for
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from buying import sellers
from consignment.views.contracts import backup_note
from core import audit, clock, notices
from core.backup import retention_outlook
from core.db import connect, get_db, transaction
from core.errors import DomainError
from core.forms import submit
from core.i18n import current_locale
from core.identity import ID_TYPES
from core.money import format_money
from core.settings import get_setting
from core.web import add_settings_link, owner_only, render
from core.workers import register_worker
from inventory import consignors
from privacy import people, retention
from privacy.forms import NOTICE_KINDS, CorrectionForm, NoticeForm, RetentionForm, SellerEraseForm
from privacy.pdf import render_pdf

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


def _vault():
    return current_app.extensions["vault"]


def _money(fen):
    return format_money(fen, current_app.config["CURRENCY"], current_locale())


def _backups(before):
    """The automatic backups taken before ``before`` (aware UTC) and when the last one goes."""
    config = current_app.config
    return retention_outlook(Path(current_app.instance_path) / "backups", config["BACKUP_KEEP"],
                             config["BACKUP_INTERVAL_HOURS"], before=before)


@bp.route("/")
@owner_only
def purge_outlook():
    """What the purge will erase in the next 90 days, and which backups still hold what it erased last."""
    db = get_db()
    last = get_setting(db, "privacy_last_purge_at")
    return render("privacy/purge.html", entries=retention.schedule(db), days=retention.OUTLOOK_DAYS,
                  last_purge=last, backup_note=backup_note(last) if last else None,
                  backups_now=_backups(None), keep=current_app.config["BACKUP_KEEP"],
                  consignor_days=retention.retention_days(db, "privacy_consignor_days"),
                  seller_days=retention.retention_days(db, "privacy_seller_days"), format_date=format_date)


def _save_retention(db, form):
    with transaction(db):
        before = {key: retention.retention_days(db, key) for key in retention.DEFAULTS}
        for key in retention.DEFAULTS:
            retention.save_retention(db, key, getattr(form, key).data)
        changed = [key for key in retention.DEFAULTS if retention.retention_days(db, key) != before[key]]
        if changed:
            audit.record(db, g.staff["id"], "settings.change", "settings", "privacy", fields=changed)


def _publish(db, form):
    with transaction(db):
        version = notices.publish_notice(db, form.kind.data, text_en=form.text_en.data, text_zh=form.text_zh.data,
                                         staff_id=g.staff["id"])
        audit.record(db, g.staff["id"], "settings.change", "privacy_notice", form.kind.data,
                     fields=("text_en", "text_zh"), details={"version": version})
        return version


@bp.route("/settings", methods=["GET", "POST"])
@owner_only
def settings():
    """Retention periods, and the privacy notices (publish a new version in both languages)."""
    db = get_db()
    which = request.form.get("form") if request.method == "POST" else None
    kind = request.args.get("kind") if request.args.get("kind") in NOTICE_KINDS else "consignor"
    current = notices.current_notice(db, kind)
    keep = RetentionForm(formdata=request.form if which == "retention" else None,
                         data={key: str(retention.retention_days(db, key)) for key in retention.DEFAULTS})
    notice = NoticeForm(formdata=request.form if which == "notice" else None,
                        data={"kind": kind, "text_en": current["text_en"], "text_zh": current["text_zh"]})
    status = 200
    if which == "retention":
        outcome = submit(keep, lambda: _save_retention(db, keep), "privacy_consignor_days")
        if outcome.ok:
            flash(_l("Retention periods saved."), "success")
            return redirect(url_for("privacy.settings"))
        status = outcome.status
    elif which == "notice":
        outcome = submit(notice, lambda: _publish(db, notice), "text_en")
        if outcome.ok:
            flash(_l("Notice version %(n)d published. Earlier acknowledgements keep their version.",
                     n=outcome.value), "success")
            return redirect(url_for("privacy.settings", kind=notice.kind.data))
        status = outcome.status
    return render("privacy/settings.html", keep=keep, notice=notice, status=status, floors=retention.FLOORS,
                  versions={k: notices.notice_versions(db, k) for k in NOTICE_KINDS}, kinds=NOTICE_KINDS,
                  kind=kind)


def _person_page(kind, subject_id, data, form=None, erase_form=None, status=200, outcome=None):
    db = get_db()
    return render("privacy/person.html", kind=kind, subject_id=subject_id, data=data,
                  shown=people.masked_person(data["person"]), form=form or CorrectionForm(formdata=None),
                  erase_form=erase_form or SellerEraseForm(formdata=None), status=status, id_types=ID_TYPES,
                  hold_until=retention.seller_hold_until(db, subject_id) if kind == "seller" else None,
                  backup_note=backup_note(data["person"]["erased_at"]) if data["person"]["erased_at"] else None,
                  outcome=outcome, format_date=format_date)


def _export_response(db, kind, subject_id, data, extension):
    """The person's data as a download, audited as ``privacy.access_export`` (the identity leaves in clear)."""
    with transaction(db):
        audit.record(db, g.staff["id"], "privacy.access_export", kind, subject_id, fields=(extension,))
    name = f"personal-data-{data['kind']}-{data['person'].get('number') or data['person'].get('seller_id')}"
    if extension == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
        return Response(body, mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}.json"',
                                 "Cache-Control": "no-store"})
    body = render_pdf(data, current_app.config, money=_money, id_type_label=lambda t: str(ID_TYPES.get(t, "")))
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"', "Cache-Control": "no-store"})


def _correction(form):
    return {"name": (form.name.data or "").strip() or None, "phone": (form.phone.data or "").strip() or None,
            "id_type": form.id_type.data or None, "id_number": (form.id_number.data or "").strip() or None,
            "reason": form.reason.data or ""}


#: Per kind of person: their export (``people.*_export(db, vault, id)``) and correction (``correct(db, vault, id,
#: staff_id=, name=, phone=, id_type=, id_number=, reason=)``, returning the changed fields).
PEOPLE = {
    "consignor": (people.consignor_export, consignors.correct_consignor),
    "seller": (people.seller_export, sellers.correct_seller),
}


def _held(db, kind, subject_id):
    return PEOPLE[kind][0](db, _vault(), subject_id)


def _export(kind, subject_id, extension):
    db = get_db()
    return _export_response(db, kind, subject_id, _held(db, kind, subject_id), extension)


def _correct(kind, subject_id):
    """Correct a person's identity from the posted form; back to their page, or the page with the errors."""
    db = get_db()
    form = CorrectionForm()

    def correct():
        with transaction(db):
            return PEOPLE[kind][1](db, _vault(), subject_id, staff_id=g.staff["id"], **_correction(form))

    outcome = submit(form, correct, "reason")
    if outcome.ok:
        flash(_l("Corrected: %(fields)s.", fields=", ".join(outcome.value)) if outcome.value
              else _l("Nothing changed."), "success")
        return redirect(url_for(f"privacy.{kind}_page", **{f"{kind}_id": subject_id}))
    return _person_page(kind, subject_id, _held(db, kind, subject_id), form=form, status=outcome.status)


@bp.route("/consignors/<int:consignor_id>")
@owner_only
def consignor_page(consignor_id):
    """What is held about one consignor (masked), their acknowledgements and corrections, export and erasure."""
    return _person_page("consignor", consignor_id, _held(get_db(), "consignor", consignor_id))


@bp.route("/consignors/<int:consignor_id>/export.json")
@owner_only
def consignor_json(consignor_id):
    """Everything held about one consignor, identity in clear, as a JSON file for them (PIPL Art. 45)."""
    return _export("consignor", consignor_id, "json")


@bp.route("/consignors/<int:consignor_id>/export.pdf")
@owner_only
def consignor_pdf(consignor_id):
    """The same as a readable A4 PDF (phone and ID number masked)."""
    return _export("consignor", consignor_id, "pdf")


@bp.route("/consignors/<int:consignor_id>/correct", methods=["POST"])
@owner_only
def consignor_correct(consignor_id):
    """Correct a consignor's identity; the old values are kept encrypted with who, when and why (PIPL Art. 46)."""
    return _correct("consignor", consignor_id)


@bp.route("/sellers/<int:seller_id>")
@owner_only
def seller_page(seller_id):
    """What is held about one seller (masked), their acknowledgements and corrections, export and erasure."""
    return _person_page("seller", seller_id, _held(get_db(), "seller", seller_id))


@bp.route("/sellers/<int:seller_id>/export.json")
@owner_only
def seller_json(seller_id):
    """Everything held about one seller, identity in clear, as a JSON file for them (PIPL Art. 45)."""
    return _export("seller", seller_id, "json")


@bp.route("/sellers/<int:seller_id>/export.pdf")
@owner_only
def seller_pdf(seller_id):
    """The same as a readable A4 PDF (phone and ID number masked)."""
    return _export("seller", seller_id, "pdf")


@bp.route("/sellers/<int:seller_id>/correct", methods=["POST"])
@owner_only
def seller_correct(seller_id):
    """Correct a seller's identity; the old values are kept encrypted with who, when and why (PIPL Art. 46)."""
    return _correct("seller", seller_id)


def _erase_seller(db, seller_id, form):
    if (form.confirm.data or "").strip().lstrip("#") != str(seller_id):
        raise DomainError(_l("Type the seller's number to confirm the erasure."), field="confirm")
    return people.erase_seller_on_request(db, seller_id, staff_id=g.staff["id"])


@bp.route("/sellers/<int:seller_id>/erase", methods=["POST"])
@owner_only
def seller_erase(seller_id):
    """A seller's erasure request: erased now, or restricted (stored only) while the law requires keeping it."""
    db = get_db()
    form = SellerEraseForm()
    outcome = submit(form, lambda: _erase_seller(db, seller_id, form), "confirm")
    if outcome.ok:
        if outcome.value["outcome"] == "restricted":
            flash(_l("The law requires keeping this seller's data until %(day)s: it is now restricted (kept, "
                     "not used or shown) and will be erased then.",
                     day=format_date(clock.local(outcome.value["until"]).date(), "medium")), "warning")
        else:
            flash(_l("Personal data erased. The buy-ins are kept without it."), "success")
        return redirect(url_for("privacy.seller_page", seller_id=seller_id))
    return _person_page("seller", seller_id, _held(db, "seller", seller_id), erase_form=form, status=outcome.status)


def purge_step(app):
    """Worker: purge the personal data whose retention has ended (:func:`privacy.retention.purge_due`), on its own
    connection, each person in a short transaction. The log line gives counts only."""
    db = connect(app.config["DATABASE"])
    try:
        done = retention.purge_due(db)
    finally:
        db.close()
    if done["consignors"] or done["sellers"]:
        app.logger.info("Purged the personal data of %d consignors and %d sellers whose retention ended",
                        done["consignors"], done["sellers"])


def register(app):
    """Register the blueprint, its settings link and the purge worker (every 6 hours)."""
    app.register_blueprint(bp)
    add_settings_link(app, "privacy.settings", _l("Privacy"),
                      _l("Privacy notices, how long personal data is kept, what will be purged when"), order=60)
    register_worker(app, "privacy", purge_step, 6 * 3600)

"""Routes of regulated goods: the owner's settings (``/goods/settings``), erasure records and certificates
on an item (staff), their report files, and the hooks into inventory's intake form, item page and public
page (``inventory.extensions``). Routes stay thin: the rules are in ``goods.*``."""

import unicodedata
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from core import audit
from core.db import get_db, transaction
from core.errors import DomainError
from core.forms import apply_domain_error, submit
from core.settings import get_setting
from core.web import access, add_settings_link, render, staff_only
from goods import certificates, devices, erasure, files, identifiers, kinds
from goods.forms import CertificateForm, DeviceForm, ErasureForm, GoodsSettingsForm
from inventory import extensions
from inventory.items import get_item

bp = Blueprint("goods", __name__, url_prefix="/goods")


# --- hooks into inventory's screens ------------------------------------------------------------------------


class DeviceFields:
    """The intake form's device fields (:func:`inventory.extensions.register_intake_fields`): shown and
    required when the chosen category's kind is ``electronics``; saved in the intake's transaction."""

    def __init__(self, db, category, formdata):
        self.kind = kinds.kind_of(db, category) if category else "none"
        self.form = DeviceForm(formdata=formdata if formdata is not None else MultiDict(), prefix="device",
                               meta={"csrf": False})
        self.device = None

    def validate(self):
        """Check the fields (messages stay on :attr:`form`); ``True`` when nothing is asked or all is well."""
        if self.kind != "electronics":
            return True
        self.form.validate()
        try:
            self.device = devices.clean_device(imei=self.form.imei.data, imei2=self.form.imei2.data,
                                               serial=self.form.serial.data, storage=self.form.storage.data)
        except DomainError as exc:
            apply_domain_error(self.form, exc)
            return False
        return True

    def html(self):
        if self.kind != "electronics":
            return Markup("")
        return Markup(render_template("goods/_device_fields.html", form=self.form))

    def save(self, db, item):
        if self.kind == "electronics":
            devices.save_device(db, item["id"], self.device)


def item_panel(db, item):
    """The item page's section: device identifiers, erasure records, certificates, links to add them."""
    kind = kinds.kind_of(db, item["category"])
    return Markup(render_template(
        "goods/_item_panel.html", item=item, kind=kind, device=devices.device_of(db, item["id"]),
        erasures=erasure.records(db, item["id"]), erased=erasure.status(db, item["id"]),
        certificates=certificates.certificates(db, item["id"]), methods=erasure.METHOD_NAMES))


def provenance_section(db, item):
    """The public page's section: certificates (body, accreditation, report no., grade, date, verify link) and
    for electronics "data erased — method, date". No operator, no staff, no full IMEI (last four only)."""
    kind = kinds.kind_of(db, item["category"])
    state = erasure.status(db, item["id"]) if kind == "electronics" else None
    device = devices.device_of(db, item["id"]) if kind == "electronics" else None
    masked = [(row["kind"], identifiers.mask(row["value"])) for row in (device or {}).get("identifiers", [])]
    return Markup(render_template("goods/_provenance.html", certificates=certificates.certificates(db, item["id"]),
                                  erased=state, masked=masked, methods=erasure.METHOD_NAMES))


# --- erasure records and certificates ----------------------------------------------------------------------


def _upload():
    """The uploaded report (``report``) stored, or ``None``; raises ``DomainError`` for a refused file."""
    upload = request.files.get("report")
    if not upload or not upload.filename:
        return None
    return files.store(current_app.instance_path, upload.read(files.MAX_BYTES + 1))


def _with_upload(action):
    """Store the report first (files are not in a transaction), run ``action(name)``, remove it on refusal."""
    name = _upload()
    try:
        return action(name)
    except Exception:
        files.remove(current_app.instance_path, name)
        raise


def _passes(text):
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 3:
        raise DomainError(_l("Passes is a whole number such as 3."), field="passes")
    return int(text)


def _date(text):
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        raise DomainError(_l("Enter the report's date."), field="issued_on")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise DomainError(_l("Enter the date as YYYY-MM-DD, e.g. 2026-11-20."), field="issued_on") from exc


@bp.route("/items/<int:item_id>/erasure", methods=["GET", "POST"])
@staff_only
def erasure_new(item_id):
    """Record a data-erasure verification of an item (the operator is the staff member logged in)."""
    db = get_db()
    item = get_item(db, item_id)
    form = ErasureForm(formdata=request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda: _with_upload(lambda name: erasure.record_erasure(
            db, item_id, method=form.method.data, passes=_passes(form.passes.data), tool=form.tool.data,
            tool_version=form.tool_version.data or "", passed=form.result.data == "pass", staff_id=g.staff["id"],
            report_file=name)), "report")
        if outcome.ok:
            flash(_l("Erasure record saved."), "success")
            return redirect(url_for("inventory.item_detail", item_id=item_id))
        status = outcome.status
    return render("goods/erasure_form.html", item=item, form=form, status=status)


@bp.route("/items/<int:item_id>/certificates", methods=["GET", "POST"])
@staff_only
def certificate_new(item_id):
    """Attach an appraisal or test certificate (or the shop's own functional test) to an item."""
    db = get_db()
    item = get_item(db, item_id)
    form = CertificateForm(formdata=request.form if request.method == "POST" else None)
    status = 200

    def save(name):
        body = (form.body.data or "").strip()
        if form.own_test.data and not body:
            body = get_setting(db, "shop_name") or str(_l("This shop"))
        if not body:
            raise DomainError(_l("Name the lab or appraiser (an organisation)."), field="body")
        return certificates.add_certificate(
            db, item_id, body=body, own_test=bool(form.own_test.data), accreditation=form.accreditation.data or "",
            report_no=form.report_no.data, issued_on=_date(form.issued_on.data), grade=form.grade.data or "",
            passed=form.result.data == "pass", summary=form.summary.data or "", verify_url=form.verify_url.data or "",
            report_file=name, staff_id=g.staff["id"])

    if request.method == "POST":
        outcome = submit(form, lambda: _with_upload(save), "report")
        if outcome.ok:
            flash(_l("Certificate saved."), "success")
            return redirect(url_for("inventory.item_detail", item_id=item_id))
        status = outcome.status
    return render("goods/certificate_form.html", item=item, form=form, status=status)


@bp.route("/files/<name>")
@staff_only
def report_file(name):
    """A stored erasure or certificate report (staff only; names are random)."""
    if not files.NAME.fullmatch(name):
        abort(404)
    ext = name.rsplit(".", 1)[1]
    return send_from_directory(files.report_dir(current_app.instance_path), name, mimetype=files.TYPES[ext],
                               as_attachment=ext == "pdf", max_age=0)


# --- the owner's settings ----------------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@access("owner")
def settings():
    """Which categories are regulated (electronics / vehicle / none) and from when the till requires a passed
    data-erasure record (at the latest 2027-01-01)."""
    db = get_db()
    categories = get_setting(db, "categories")
    form = GoodsSettingsForm(formdata=request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":

        def save():
            chosen = form.kind.data or []
            if len(chosen) != len(categories):
                raise DomainError(_l("The categories changed meanwhile; reload the page."), field="kind")
            text = unicodedata.normalize("NFKC", form.gate_from.data or "").strip()
            try:
                gate = date.fromisoformat(text) if text else None
            except ValueError as exc:
                raise DomainError(_l("Enter the date as YYYY-MM-DD, e.g. 2027-01-01."), field="gate_from") from exc
            with transaction(db):
                kinds.save_settings(db, dict(zip(categories, chosen)), gate)
                audit.record(db, g.staff["id"], "settings.change", "settings", "goods",
                             fields=("category_kinds", "erasure_gate_from"))

        outcome = submit(form, save, "kind")
        if outcome.ok:
            flash(_l("Saved."), "success")
            return redirect(url_for("goods.settings"))
        status = outcome.status
    current = kinds.category_kinds(db)
    typed = request.form.getlist("kind") if request.method == "POST" else None
    rows = [(c, typed[i] if typed and i < len(typed) else current[c]) for i, c in enumerate(categories)]
    gate = request.form.get("gate_from") if request.method == "POST" else kinds.gate_from(db).isoformat()
    return render("goods/settings.html", form=form, rows=rows, kinds=kinds.KINDS, gate=gate,
                  standard=kinds.STANDARD_IN_FORCE, status=status)


def register(app):
    """Register the blueprint and the hooks into inventory's intake form, item page and public page."""
    app.register_blueprint(bp)
    extensions.register_intake_fields(app, DeviceFields)
    extensions.register_item_panel(app, item_panel)
    extensions.register_provenance_section(app, provenance_section)
    add_settings_link(app, "goods.settings", _l("Regulated goods"),
                      _l("Which categories are electronics or vehicles; the date the erasure gate starts."), order=60)

"""Routes of regulated goods: the owner's settings (``/goods/settings``), erasure records and certificates
on an item (staff), their report files, and the hooks into inventory's intake form, item page and public
page (``inventory.extensions``). Routes stay thin: the rules are in ``goods.*``."""

import io
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
    send_file,
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
from goods import certificates, devices, erasure, files, identifiers, kinds, transfer, vehicles
from goods.forms import BuyerAckForm, CertificateForm, DeviceForm, ErasureForm, GoodsSettingsForm, VehicleForm
from inventory import extensions
from inventory.items import get_item
from sync import stolen

bp = Blueprint("goods", __name__, url_prefix="/goods")


# --- hooks into inventory's screens ------------------------------------------------------------------------


class DeviceFields:
    """The intake form's device fields (:func:`inventory.extensions.register_intake_fields`): shown and
    required when the chosen category's kind is ``electronics``; saved in the intake's transaction."""

    def __init__(self, db, category, formdata, prefix=""):
        self.kind = kinds.kind_of(db, category) if category else "none"
        self.prefix = prefix
        self.form = DeviceForm(formdata=formdata if formdata is not None else MultiDict(), prefix=f"{prefix}device",
                               meta={"csrf": False})
        self.db = db
        self.device = None

    def validate(self):
        """Check the fields (messages stay on :attr:`form`); ``True`` when nothing is asked or all is well."""
        if self.kind != "electronics":
            return True
        self.form.validate()
        try:
            self.device = devices.clean_device(imei=self.form.imei.data, imei2=self.form.imei2.data,
                                               serial=self.form.serial.data, storage=self.form.storage.data)
            devices.refuse_in_stock(self.db, self.device["identifiers"])  # shown under its field
        except DomainError as exc:
            apply_domain_error(self.form, exc)
            return False
        return True

    def claims(self):
        """The validated IMEIs (no other item in stock may carry one; a serial is unique per maker only)."""
        if self.kind != "electronics" or self.device is None:
            return []
        return [(kind, value) for kind, value in self.device["identifiers"] if kind == "imei"]

    def refuse(self, claim, message):
        """Show ``message`` under the input that holds ``claim`` (one of :meth:`claims`: the first IMEI or the
        second); a claim this item does not make is ignored."""
        first_imei = next((value for kind, value in self.device["identifiers"] if kind == "imei"), None) \
            if self.device else None
        if claim in self.claims():
            apply_domain_error(self.form, DomainError(message, field="imei" if claim[1] == first_imei else "imei2"))

    def html(self):
        if self.kind != "electronics":
            return Markup("")
        return Markup(render_template("goods/_device_fields.html", form=self.form, prefix=self.prefix))

    def save(self, db, item):
        if self.kind == "electronics":
            # again inside the intake's transaction: another till may have taken the same phone in meanwhile
            _warn_earlier(devices.refuse_in_stock(db, self.device["identifiers"]))
            devices.save_device(db, item["id"], self.device)
            # the stolen-goods check is queued in the intake's own transaction (issue 12 §4)
            stolen.request_check(db, item["id"], devices.checkable(self.device["identifiers"]))


class VehicleFields:
    """The intake form's vehicle fields: VIN, make/model, plate, certificate no., first registration, mileage,
    use nature, the Art. 14 disclosures and the seller's signed acknowledgement; shown and required when the
    chosen category's kind is ``vehicle``; saved (plate, certificate, signature encrypted) and the VIN queued
    for the stolen-goods check in the intake's transaction."""

    def __init__(self, db, category, formdata, prefix=""):
        self.kind = kinds.kind_of(db, category) if category else "none"
        self.prefix = prefix
        self.form = VehicleForm(formdata=formdata if formdata is not None else MultiDict(), prefix=f"{prefix}vehicle",
                                meta={"csrf": False})
        self.db = db
        self.vehicle = None

    def validate(self):
        """Check the fields (messages stay on :attr:`form`); ``True`` when nothing is asked or all is well."""
        if self.kind != "vehicle":
            return True
        ok = self.form.validate()
        f = self.form
        try:
            self.vehicle = vehicles.clean_vehicle(
                vin=f.vin.data, model=f.model.data, plate=f.plate.data, certificate=f.certificate.data,
                first_registration=f.first_registration.data, mileage=f.mileage.data, use_nature=f.use_nature.data,
                accident=f.accident.data, flood_fire=f.flood_fire.data, mortgage_seizure=f.mortgage_seizure.data,
                inspection_until=f.inspection_until.data, insurance_until=f.insurance_until.data,
                tax_until=f.tax_until.data, scrap_date=f.scrap_date.data, acknowledged=bool(f.acknowledged.data),
                signature=f.signature.data)
            devices.refuse_in_stock(self.db, [("vin", self.vehicle["vin"])])  # shown under the VIN
        except DomainError as exc:
            apply_domain_error(self.form, exc)
            return False
        return ok

    def claims(self):
        """The validated VIN (one car cannot be in stock twice)."""
        if self.kind != "vehicle" or self.vehicle is None:
            return []
        return [("vin", self.vehicle["vin"])]

    def refuse(self, claim, message):
        """Show ``message`` under the VIN when ``claim`` is this car's (:meth:`claims`)."""
        if claim in self.claims():
            apply_domain_error(self.form, DomainError(message, field="vin"))

    def html(self):
        if self.kind != "vehicle":
            return Markup("")
        return Markup(render_template("goods/_vehicle_fields.html", form=self.form, signed=self._signed(),
                                      prefix=self.prefix))

    def _signed(self):
        """Whether the posted signature is a readable PNG: a form refused for another field keeps it (in its
        hidden input, never logged) so the seller need not sign again."""
        try:
            vehicles.clean_signature(self.form.signature.data)
        except DomainError:
            return False
        return True

    def save(self, db, item):
        """Store the facts; returns the vehicle's public facts for the commissioning event (``None`` if none)."""
        if self.kind != "vehicle":
            return None
        _warn_earlier(devices.refuse_in_stock(db, [("vin", self.vehicle["vin"])]))  # inside the transaction
        vehicles.save_vehicle(db, current_app.extensions["vault"], item["id"], self.vehicle)
        stolen.request_check(db, item["id"], [("vin", self.vehicle["vin"])])
        if not self.vehicle["vin_check_ok"]:
            flash(_l("Saved. Note: the VIN's check digit (position 9) does not match; outside China and North "
                     "America that can be right. Compare it with the registration certificate."), "warning")
        return vehicles.event_facts(self.vehicle)  # the registry's page shows them (no plate, no person)


def _warn_earlier(earlier):
    """Flash a warning for each IMEI or VIN that an item which left the shop carried (it may come back)."""
    for kind, _value, tags in earlier:
        if kind == "vin":
            flash(_l("Saved. Note: a car with this VIN was here before (%(tags)s, no longer in stock). Check that it "
                     "is the same car coming back.", tags=", ".join(tags)), "warning")
        else:
            flash(_l("Saved. Note: a device with this IMEI was here before (%(tags)s, no longer in stock). Check "
                     "that it is the same device coming back.", tags=", ".join(tags)), "warning")


def item_panel(db, item):
    """The item page's section: device identifiers, erasure records, certificates, links to add them."""
    kind = kinds.kind_of(db, item["category"])
    vault = current_app.extensions["vault"]
    vehicle = vehicles.masked(db, vault, item["id"]) if kind == "vehicle" else None
    ack = vehicles.latest_ack(db, item["id"], vault) if vehicle else None
    return Markup(render_template(
        "goods/_item_panel.html", item=item, kind=kind, device=devices.device_of(db, item["id"]),
        vehicle=vehicle, ack=ack, transfer=vehicles.transfer_of(db, item["id"]) if vehicle else None,
        natures=vehicles.USE_NATURES, disclosures=vehicles.DISCLOSURES, validity=vehicles.VALIDITY,
        erasures=erasure.records(db, item["id"]), erased=erasure.status(db, item["id"]),
        certificates=certificates.certificates(db, item["id"]), methods=erasure.METHOD_NAMES))


def provenance_section(db, item):
    """The public page's section: certificates (body, accreditation, report no., grade, date, verify link) and
    for electronics "data erased — method, date". No operator, no staff, no full IMEI (last four only)."""
    kind = kinds.kind_of(db, item["category"])
    state = erasure.status(db, item["id"]) if kind == "electronics" else None
    device = devices.device_of(db, item["id"]) if kind == "electronics" else None
    masked = [(row["kind"], identifiers.mask(row["value"])) for row in (device or {}).get("identifiers", [])]
    vehicle = vehicles.public_facts(db, item["id"]) if kind == "vehicle" else None
    return Markup(render_template("goods/_provenance.html", certificates=certificates.certificates(db, item["id"]),
                                  erased=state, masked=masked, methods=erasure.METHOD_NAMES, vehicle=vehicle,
                                  natures=vehicles.USE_NATURES, disclosures=vehicles.DISCLOSURES,
                                  validity=vehicles.VALIDITY))


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


# --- vehicles: the buyer's acknowledgement and the transfer record ----------------------------------------


@bp.route("/items/<int:item_id>/buyer", methods=["GET", "POST"])
@staff_only
def buyer_ack(item_id):
    """The buyer reads the vehicle's disclosures, enters the ID for the transfer record and signs; until then
    the till refuses the vehicle (:func:`goods.vehicles.sale_blockers`)."""
    db = get_db()
    item = get_item(db, item_id)
    vault = current_app.extensions["vault"]
    vehicle = vehicles.masked(db, vault, item_id)
    if vehicle is None:
        abort(404)
    form = BuyerAckForm(formdata=request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda: vehicles.acknowledge(
            db, vault, item_id, name=form.buyer_name.data, id_type=form.buyer_id_type.data,
            id_number=form.buyer_id_number.data, acknowledged=bool(form.acknowledged.data),
            signature=form.signature.data, staff_id=g.staff["id"]), "acknowledged")
        if outcome.ok:
            flash(_l("The buyer's acknowledgement is saved; the vehicle may now be sold at the till."), "success")
            return redirect(url_for("inventory.item_detail", item_id=item_id))
        status = outcome.status
    return render("goods/buyer_ack.html", item=item, vehicle=vehicle, form=form, status=status,
                  natures=vehicles.USE_NATURES, disclosures=vehicles.DISCLOSURES, validity=vehicles.VALIDITY)


@bp.route("/transfers/<number>.pdf")
@staff_only
def transfer_pdf(number):
    """The transfer record of a vehicle sold (A4 PDF, Chinese and English): the only place plate, certificate
    number and the buyer's identity leave the hub. Staff route, but a cashier only for their own sale during
    the open shift it was made in (:func:`goods.vehicles.refuse_transfer_download`); audited."""
    db = get_db()
    row = vehicles.transfer_by_number(db, number)
    vehicles.refuse_transfer_download(db, row, g.staff)  # owner, or its cashier during the open shift
    vehicles.refuse_void_transfer(db, row)
    data = transfer.transfer_data(db, current_app.extensions["vault"], row)
    pdf = transfer.render_pdf(data, current_app.config)
    with transaction(db):  # plate, certificate number and the buyer's identity leave the hub on this paper
        audit.record(db, g.staff["id"], "export.transfer_record", "vehicle_transfer", row["number"])
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{row['number']}.pdf", max_age=0)


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
    extensions.register_intake_fields(app, VehicleFields)
    extensions.register_item_panel(app, item_panel)
    extensions.register_provenance_section(app, provenance_section)
    add_settings_link(app, "goods.settings", _l("Regulated goods"),
                      _l("Which categories are electronics or vehicles; the date the erasure gate starts."), order=60)

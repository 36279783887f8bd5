"""Forms of regulated goods: a device's fields at intake, an erasure record, a certificate, the owner's
settings. Checks of content are the domain's (``goods.devices``, ``goods.erasure``, ``goods.certificates``);
these forms carry CSRF, the personal-data guard on free text and the choices."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Optional

from core.forms import Form, ListField, no_personal_data
from core.identity import ID_TYPES
from goods.erasure import METHODS
from goods.vehicles import USE_NATURES

RESULTS = [("pass", _l("Pass")), ("fail", _l("Fail"))]


class DeviceForm(Form):
    """A device's identifiers and storage, shown inside the intake form (which carries the CSRF token; this
    one is bound with ``prefix="device"`` and ``meta={"csrf": False}``)."""

    imei = StringField(_l("IMEI (15 digits, *#06#)"))
    imei2 = StringField(_l("Second IMEI (dual SIM, optional)"))
    serial = StringField(_l("Serial number (if no IMEI)"))
    storage = RadioField(_l("Storage present (can hold someone's data)?"),
                         choices=[("yes", _l("Yes")), ("no", _l("No"))])


class ErasureForm(Form):
    """One data-erasure verification (the operator is the staff member logged in)."""

    method = RadioField(_l("Method"), choices=list(METHODS.items()),
                        validators=[DataRequired(_l("Choose the erasure method."))])
    passes = StringField(_l("Passes (overwrite)"))
    tool = StringField(_l("Tool"), validators=[DataRequired(_l("Name the erasure tool.")), no_personal_data])
    tool_version = StringField(_l("Tool version"), validators=[Optional(), no_personal_data])
    result = RadioField(_l("Verification result"), choices=RESULTS,
                        validators=[DataRequired(_l("Choose pass or fail."))])
    report = FileField(_l("Report file (PDF or photo, optional)"))


class CertificateForm(Form):
    """An appraisal or test certificate (or the shop's own functional test)."""

    own_test = BooleanField(_l("The shop's own functional test"))
    body = StringField(_l("Lab or appraiser (organisation)"), validators=[no_personal_data])
    accreditation = StringField(_l("Accreditation (CMA / CNAS no., optional)"),
                                validators=[Optional(), no_personal_data])
    report_no = StringField(_l("Report number"), validators=[DataRequired(_l("Enter the report number.")),
                                                             no_personal_data])
    issued_on = StringField(_l("Report date"))
    grade = StringField(_l("Grade (optional)"), validators=[Optional(), no_personal_data])
    result = RadioField(_l("Result"), choices=RESULTS, validators=[DataRequired(_l("Choose pass or fail."))])
    summary = TextAreaField(_l("Summary (optional)"), validators=[Optional(), no_personal_data])
    verify_url = StringField(_l("Verify link (optional)"), validators=[Optional(), no_personal_data])
    report = FileField(_l("Report file (PDF or photo, optional)"))


class GoodsSettingsForm(Form):
    """The owner's regulated-goods settings: a kind per category (``kind``, one value per category in the
    order of the ``categories`` setting) and the erasure gate's start date."""

    kind = ListField(_l("Kind"))
    gate_from = StringField(_l("Erasure required at the till from"))


YES_NO = [("no", _l("No")), ("yes", _l("Yes"))]


class VehicleForm(Form):
    """A vehicle's facts and the Art. 14 disclosures inside the intake form (``prefix="vehicle"``, no CSRF of
    its own). Plate and certificate number are personal data of the owner: stored encrypted by the domain."""

    vin = StringField(_l("VIN (17 characters)"))
    model = StringField(_l("Make and model (as on the certificate)"), validators=[Optional(), no_personal_data])
    plate = StringField(_l("Number plate"))
    certificate = StringField(_l("Registration certificate no."))
    first_registration = StringField(_l("First registration"))
    mileage = StringField(_l("Mileage (km)"))
    use_nature = SelectField(_l("Use nature"), choices=[("", "—")] + list(USE_NATURES.items()))
    accident = RadioField(_l("Structural accident damage?"), choices=YES_NO)
    flood_fire = RadioField(_l("Flood or fire damage?"), choices=YES_NO)
    mortgage_seizure = RadioField(_l("Mortgaged or seized?"), choices=YES_NO)
    inspection_until = StringField(_l("Inspection valid until"))
    insurance_until = StringField(_l("Compulsory insurance valid until"))
    tax_until = StringField(_l("Vehicle and vessel tax paid until"))
    scrap_date = StringField(_l("Compulsory scrap date (if any)"))
    acknowledged = BooleanField(_l("The seller confirms these disclosures are true and complete"))
    signature = HiddenField(_l("Seller's signature"))


class BuyerAckForm(Form):
    """The buyer's acknowledgement of a vehicle's disclosures before the sale, and the buyer's identity for
    the transfer record (stored encrypted)."""

    buyer_name = StringField(_l("Buyer's name (as on the ID)"))
    buyer_id_type = SelectField(_l("ID document"), choices=list(ID_TYPES.items()))
    buyer_id_number = StringField(_l("ID number"))
    acknowledged = BooleanField(_l("The buyer has read the disclosures above and accepts them"))
    signature = HiddenField(_l("Buyer's signature"))

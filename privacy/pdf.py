"""The readable copy of one person's data (PIPL Art. 45) as an A4 PDF (the A4 page of :func:`printing.pdf.a4`).

What it shows, by design: the name **in clear** (the person is reading their own record), the phone and the ID
number **masked** (``138****5678``, ``110***********002X``): a paper copy is easily left on a counter; the full
numbers are in the JSON file of the same export. Everything else of the export: items or buy-ins, agreements,
payouts, notice acknowledgements (version, time), corrections (field, time, reason; the old values masked).
"""

from flask_babel import gettext as _

from core import clock
from core.crypto import mask_id_number, mask_phone
from printing.pdf import a4


def _when(text):
    return clock.local_text(text) if text else "—"


def _masked_old(field, value):
    if field == "phone":
        return mask_phone(value)
    if field == "id_number":
        return mask_id_number(value)
    return value


def render_pdf(data, config, *, money, id_type_label):
    """The export (:func:`privacy.people.consignor_export` / ``seller_export``) as A4 PDF bytes.

    Args:
        config: app config (``PDF_FONT_PATH`` / ``PRINT_FONT``). money: ``fen -> str``.
        id_type_label: ``id_type -> str`` in the page's language.

    Raises:
        DomainError: the font is missing.
    """
    person = data["person"]
    pdf, width, nl = a4(config)

    def line(left, right):
        pdf.cell(width * 0.35, 7, str(left))
        pdf.multi_cell(width * 0.65, 7, str(right), **nl)

    def heading(text):
        pdf.ln(3)
        pdf.set_font("cjk", size=13)
        pdf.cell(width, 8, text, border="B", **nl)
        pdf.set_font("cjk", size=10)

    pdf.set_font("cjk", size=17)
    title = _("Personal data held about consignor %(number)s", number=person["number"]) \
        if data["kind"] == "consignor" else _("Personal data held about seller #%(id)d", id=person["seller_id"])
    pdf.multi_cell(width, 9, title, **nl)
    pdf.set_font("cjk", size=10)
    pdf.cell(width, 6, _("Exported %(when)s", when=_when(data["exported_at"])), **nl)
    heading(_("Identity"))
    line(_("Name"), person["name"] or "—")
    line(_("ID document"), id_type_label(person["id_type"]) or "—")
    line(_("ID number"), mask_id_number(person["id_number"]) or "—")
    line(_("Phone"), mask_phone(person["phone"]) or "—")
    if data["kind"] == "consignor":
        line(_("Notes"), person["notes"] or "—")
        line(_("Registered"), _when(person["created_at"]))
    else:
        line(_("First buy-in"), _when(person["created_at"]))
        line(_("Restricted"), _when(person["restricted_at"]))
    line(_("Erased"), _when(person["erased_at"]))
    if data["kind"] == "consignor":
        heading(_("Items"))
        for item in data["items"]:
            line(item["tag"], f"{item['title']} · {money(item['price_fen'])} · {item['status']}")
        heading(_("Payouts"))
        for payout in data["payouts"]:
            line(_when(payout["at"]), f"{money(payout['amount_fen'])} · {payout['method']}")
    else:
        heading(_("Buy-ins"))
        for buy_in in data["buy_ins"]:
            line(f"{buy_in['voucher']} {_when(buy_in['at'])}", money(buy_in["total_fen"]))
            for item in buy_in["items"]:
                line("", f"{item['tag']} {item['title']} · {money(item['cost_fen'])}")
    heading(_("Privacy notice acknowledgements"))
    for ack in data["acknowledgements"]:
        line(_when(ack["acknowledged_at"]), _("version %(n)d", n=ack["notice_version"])
             + (" · " + _("signed") if ack["signed"] else ""))
    heading(_("Corrections"))
    for change in data["corrections"]:
        line(_when(change["corrected_at"]), f"{change['field']}: {_masked_old(change['field'], change['old_value'])}"
                                            f" · {change['reason']}")
    return bytes(pdf.output())

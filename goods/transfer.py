"""The transfer record of a vehicle sold (二手车交易记录 / vehicle transfer record; issue 12 §2) as an A4 PDF,
each label in Chinese and English, with what the vehicle administration office asks at transfer registration
(机动车登记规定, Ministry of Public Security Order No. 164, Art. 25–27: the parties' identity, the registration
certificate, the vehicle, and the proof of the sale — for a dealer, its invoice for the sale): the seller (the
shop, or the consignor it sold for), the buyer's identity, VIN, plate, certificate number, make and model,
first registration, mileage, use nature, price, date, and the Art. 14 disclosures the buyer acknowledged.

It is the only place plate, certificate number and the buyer's identity leave the hub: the document is made
on request, never stored, and the route that gives it is staff-only.
"""



from core import clock
from core.db import one
from core.money import format_plain
from core.settings import get_setting
from goods import vehicles
from printing.pdf import a4, heading_style

#: (key, Chinese, English) — the document is bilingual whatever the screen's language.
LABELS = {
    "title": ("二手车交易记录", "Used vehicle transfer record"),
    "number": ("记录编号", "Record no."),
    "seller": ("卖方", "Seller"), "shop": ("经销商", "Dealer"), "consignor": ("委托人（车主）", "Consignor (owner)"),
    "buyer": ("买方", "Buyer"), "id": ("身份证件", "ID document"),
    "vehicle": ("车辆", "Vehicle"), "vin": ("车辆识别代号", "VIN"), "model": ("厂牌型号", "Make and model"),
    "plate": ("号牌号码", "Plate"), "certificate": ("登记证书编号", "Registration certificate no."),
    "first_registration": ("初次登记日期", "First registration"), "mileage": ("表显里程", "Mileage"),
    "use_nature": ("使用性质", "Use nature"),
    "sale": ("交易", "Sale"), "price": ("成交价格", "Price"), "date": ("成交日期", "Date"),
    "receipt": ("收据号", "Receipt no."),
    "disclosures": ("车辆状况告知（《二手车流通管理办法》第十四条）", "Disclosures (Used Vehicle Circulation Measures, Art. 14)"),
    "accident": ("结构性事故", "Structural accident damage"), "flood_fire": ("泡水或火烧", "Flood or fire damage"),
    "mortgage_seizure": ("抵押或查封", "Mortgaged or seized"),
    "inspection_until": ("检验有效期至", "Inspection valid until"),
    "insurance_until": ("交强险有效期至", "Compulsory insurance valid until"),
    "tax_until": ("车船税缴至", "Vehicle and vessel tax paid until"),
    "scrap_date": ("强制报废日期", "Compulsory scrap date"),
    "yes": ("有", "yes"), "no": ("无", "no"), "none": ("无", "none"),
    "acknowledged": ("买方已阅读并确认上述告知", "The buyer read and acknowledged the disclosures"),
    "seller_signed": ("卖方已于收车时签字确认", "The seller signed the disclosures at intake"),
    "sign_seller": ("卖方签字（盖章）", "Seller's signature (seal)"), "sign_buyer": ("买方签字", "Buyer's signature"),
}
NATURES = {"non_operating": ("非营运", "non-operating"), "operating": ("营运", "operating"),
           "rental": ("租赁", "rental"), "converted": ("营转非", "operating converted to non-operating"),
           "other": ("其他", "other")}
ID_NAMES = {"resident_id": ("居民身份证", "Resident ID card"), "passport": ("护照", "Passport"),
            "hmt_permit": ("港澳台通行证", "HK / Macao / Taiwan permit"),
            "foreign_prc": ("外国人永久居留身份证", "Foreigner's permanent residence card")}


def _both(pair):
    return f"{pair[0]} {pair[1]}"


def transfer_data(db, vault, transfer):
    """Everything the transfer record prints, in clear (it is the one paper that carries it).

    Args:
        vault: ``core.crypto.Vault`` to decrypt plate, certificate, buyer and consignor.
        transfer: a ``vehicle_transfers`` row (:func:`goods.vehicles.transfer_by_number`).

    Returns:
        dict: ``number``, ``seller`` (``kind`` ``shop``/``consignor``, ``name``, ``number``), ``shop``
        (``name``, ``address``), ``buyer`` (``name``, ``id_type``, ``id_number``), ``vehicle`` (the clear facts
        of :func:`goods.vehicles.vehicle_of`), ``price_fen``, ``sold_at``, ``receipt_no``, ``acknowledged_at``.
    """
    vehicle = vehicles.vehicle_of(db, transfer["item_id"], vault)
    ack = one(db, "SELECT * FROM vehicle_buyer_acks WHERE id = ?", (transfer["ack_id"],))
    consignor = one(db, "SELECT c.number, c.name_enc FROM items i JOIN consignors c ON c.id = i.consignor_id "
                        "WHERE i.id = ?", (transfer["item_id"],))
    shop = {"name": get_setting(db, "shop_name") or "", "address": get_setting(db, "shop_address") or ""}
    seller = ({"kind": "consignor", "name": vault.decrypt(consignor["name_enc"]), "number": consignor["number"]}
              if consignor else {"kind": "shop", "name": shop["name"], "number": ""})
    return {"number": transfer["number"], "seller": seller, "shop": shop,
            "buyer": {"name": vault.decrypt(ack["buyer_name_enc"]), "id_type": ack["buyer_id_type"],
                      "id_number": vault.decrypt(ack["buyer_id_enc"])},
            "vehicle": vehicle, "price_fen": transfer["price_fen"], "sold_at": transfer["sold_at"],
            "receipt_no": transfer["receipt_no"], "acknowledged_at": ack["acknowledged_at"]}


def yuan(fen):
    """Integer fen as ``¥12345.00`` (exact, no float: :func:`core.money.format_plain`)."""
    return f"¥{format_plain(fen)}"


def render_pdf(data, config):
    """The transfer record as A4 PDF bytes (``data`` from :func:`transfer_data`).

    Raises:
        DomainError: the font is missing.
    """
    v = data["vehicle"]
    pdf, width, nl = a4(config, side=18, top=16)
    pdf.set_font("cjk", size=17)
    pdf.cell(width, 9, LABELS["title"][0], align="C", **nl)
    pdf.set_font("cjk", size=11)
    pdf.cell(width, 6, LABELS["title"][1], align="C", **nl)
    pdf.cell(width, 6, f"{_both(LABELS['number'])}: {data['number']}", align="C", **nl)
    pdf.ln(3)

    def section(key):
        pdf.ln(2)
        pdf.set_font("cjk", size=12)
        pdf.cell(width, 7, _both(LABELS[key]), border="B", **nl)
        pdf.set_font("cjk", size=10)

    def row(key, value):
        pdf.cell(width * 0.42, 6.5, _both(LABELS[key]))
        pdf.multi_cell(width * 0.58, 6.5, str(value), **nl)

    yes_no = {True: _both(LABELS["yes"]), False: _both(LABELS["no"])}
    section("seller")
    seller = data["seller"]
    if seller["kind"] == "consignor":
        row("consignor", f"{seller['name']} ({seller['number']})")
        row("shop", data["shop"]["name"])
    else:
        row("shop", seller["name"])
    if data["shop"]["address"]:
        pdf.cell(width, 6.5, data["shop"]["address"], **nl)
    section("buyer")
    row("buyer", data["buyer"]["name"])
    row("id", f"{_both(ID_NAMES.get(data['buyer']['id_type'], (data['buyer']['id_type'], '')))} "
              f"{data['buyer']['id_number']}")
    section("vehicle")
    row("vin", v["vin"])
    row("model", v["model"])
    row("plate", v["plate"])
    row("certificate", v["certificate"])
    row("first_registration", v["first_registration"])
    row("mileage", f"{v['mileage_km']:,} km")
    row("use_nature", _both(NATURES.get(v["use_nature"], (v["use_nature"], ""))))
    section("sale")
    row("price", yuan(data["price_fen"]))
    row("date", clock.local_text(data["sold_at"], "%Y-%m-%d"))
    row("receipt", data["receipt_no"])
    section("disclosures")
    for key in vehicles.DISCLOSURES:
        row(key, yes_no[v[key]])
    for key in vehicles.VALIDITY:
        row(key, v[key] or _both(LABELS["none"]))
    pdf.ln(2)
    pdf.multi_cell(width, 6, f"√ {_both(LABELS['seller_signed'])} ({clock.local_text(v['seller_acknowledged_at'])})",
                   **nl)
    pdf.multi_cell(width, 6, f"√ {_both(LABELS['acknowledged'])} ({clock.local_text(data['acknowledged_at'])})",
                   **nl)
    pdf.ln(14)
    pdf.cell(width / 2, 7, f"{_both(LABELS['sign_seller'])}: ________")
    pdf.cell(width / 2, 7, f"{_both(LABELS['sign_buyer'])}: ________", **nl)
    return bytes(pdf.output())



def register_pdf(table, start, end, config, *, shop_name=""):
    """The vehicle register as A4 landscape PDF bytes.

    Args:
        table: ``reports.queries.vehicle_register``'s table (``title``, ``columns`` ``(key, label, kind)``,
            ``rows``; money columns in integer fen, printed as yuan). start, end: the period (``date``).

    Raises:
        DomainError: the font is missing.
    """
    pdf, width, nl = a4(config, side=12, top=12, bottom=12, landscape=True)
    pdf.set_font("cjk", size=15)
    pdf.cell(width, 8, f"{table.title} · {shop_name}".rstrip(" ·"), **nl)
    pdf.set_font("cjk", size=10)
    pdf.cell(width, 6, f"{start.isoformat()} – {end.isoformat()}", **nl)
    pdf.ln(2)
    pdf.set_font("cjk", size=8)
    widths = (0.16, 0.15, 0.09, 0.08, 0.09, 0.08, 0.09, 0.12, 0.14)
    with pdf.table(width=width, col_widths=widths, line_height=5.5, first_row_as_headings=True,
                   headings_style=heading_style()) as grid:
        heading = grid.row()
        for _key, label, _kind in table.columns:
            heading.cell(str(label))
        for found in table.rows:
            line = grid.row()
            for key, _label, kind in table.columns:
                value = found[key]
                line.cell("" if value is None else yuan(value) if kind == "money" else
                          f"{value:,}" if kind == "int" else str(value))
    return bytes(pdf.output())

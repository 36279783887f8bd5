"""Documents for printing: a job's kind and payload become a layout (:class:`printing.layout.Doc`), then
ESC/POS bytes or a PNG preview from that same layout.

Printing imports no domain area. The area that owns a fact registers a *source* for its kind of job
(:func:`register_source`), a function that reads the fact and answers plain data:

- ``receipt``: ``source(db, config, {"sale_id": int, …})`` → ``{"sale": dict from pos.sales.get_sale,
  "url": the e-receipt URL, "trade_ins": the traded-in items with their certificates (may be empty)}``
  (registered by ``pos``);
- ``tag``: ``source(db, config, {"item_ids": [int], …})`` → ``[{"title", "tag", "price_fen",
  "consignor_number", "condition", "uri"}]`` (registered by ``inventory``), prices in fen as the till would charge;
- ``voucher``: ``source(db, config, {"buy_in_id": int})`` → the purchase voucher's data (registered by
  ``buying``: ``buying.buyins.voucher_document``; words already in the print language, the seller masked).

``report``, ``test`` and ``drawer`` jobs carry all they print in their payload.
"""


from babel.dates import format_datetime
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from core import clock
from core.errors import DomainError
from core.i18n import gettext_in, in_language
from core.money import format_money
from core.settings import get_setting, resolver_base
from printing import layout, profiles, render
from printing.encode import encode

_sources = {}


def register_source(kind, source):
    """Let the area that owns ``kind``'s facts (``receipt``, ``tag``) supply them (see the module docstring).

    Raises:
        ValueError: an unknown kind.
    """
    if kind not in ("receipt", "tag", "voucher"):
        raise ValueError(kind)
    _sources[kind] = source


def source_for(kind):
    """The registered source of ``kind``.

    Raises:
        DomainError: no area registered one (the app was built without it).
    """
    if kind not in _sources:
        raise DomainError(_l("Unknown print job."))
    return _sources[kind]


def print_locale(config):
    """The language printed on paper: config ``PRINT_LOCALE``, else ``BABEL_DEFAULT_LOCALE``."""
    return config.get("PRINT_LOCALE") or config.get("BABEL_DEFAULT_LOCALE") or "zh_CN"


def _forced(locale):
    """``force_locale(locale)`` so lazy strings can be made outside a request (the worker)."""
    return force_locale(str(locale))


def _money(config, locale):
    currency = config.get("CURRENCY", "CNY")
    return lambda fen: format_money(fen, currency, locale)


def _when(config, iso_text, locale):
    return format_datetime(clock.parse(iso_text), "yyyy-MM-dd HH:mm", tzinfo=clock.shop_zone(), locale=locale)


PREVIEW_PRINTER = {"profile": "POS-5890", "tag_media": "cut", "drawer_pin": 0, "kick_on_cash": 0, "name": ""}


def build_doc(db, config, kind, payload, printer):
    """The layout (:class:`printing.layout.Doc`) of a job for ``printer`` (a ``printers`` row, or a dict
    with at least ``profile``, ``tag_media``, ``drawer_pin``, ``kick_on_cash``; ``None`` = a 58 mm preview).

    Runs inside an app context; words are in :func:`print_locale`.

    Raises:
        DomainError / NotFound: the sale or items no longer exist, malformed payload, unknown kind.
    """
    printer = printer or PREVIEW_PRINTER
    width = profiles.width_dots(printer["profile"])
    locale = print_locale(config)
    money = _money(config, locale)
    with _forced(locale):
        if kind == "receipt":
            return _receipt(db, config, payload, printer, width, locale, money)
        if kind == "tag":
            found = source_for("tag")(db, config, payload)
            return layout.tags(width, found, money=money, media=printer.get("tag_media", "cut"),
                               copies=payload.get("copies", 1), grade_label=_grade_word(locale))
        if kind == "voucher":
            data = source_for("voucher")(db, config, payload)
            return layout.voucher(width, data, money=money, when=_when(config, data["at"], locale))
        if kind == "report":
            return layout.report(width, title=payload.get("title", ""), rows=payload.get("rows", []),
                                 footer=payload.get("footer", ""), when=_when(config, clock.iso(), locale))
        if kind == "test":
            return _test_page(db, config, printer, width, locale, money)
        if kind == "drawer":
            doc = layout.Doc(width)
            doc.blocks.append(layout.Drawer(printer.get("drawer_pin") or 2))
            return doc
    raise DomainError(_l("Unknown print job."))


def _grade_word(locale):
    """The word a tag prints before the condition grade ("Grade B", "成色 B"), in the print language."""
    _ = gettext_in(locale)
    return _("Grade")


def _receipt(db, config, payload, printer, width, locale, money):
    source = source_for("receipt")(db, config, payload)
    sale, url = source["sale"], source["url"]
    _ = gettext_in(locale)  # the words on paper, in the print language
    kick = None
    if (not payload.get("reprint") and printer.get("kick_on_cash") and printer.get("drawer_pin")
            and any(t["kind"] == "cash" for t in sale["tenders"])):
        kick = printer["drawer_pin"]
    tender_words = {"cash": _("Cash"), "card": _("Card"), "wechat": _("WeChat Pay"), "alipay": _("Alipay"),
                    "store_credit": _("Store credit"), "trade_in": _("Trade-in")}
    labels = {"receipt": _("Receipt"), "subtotal": _("Subtotal"), "discount": _("Discount"),
              "total": _("Total"), "change": _("Change"), "void": _("VOID"),
              "scan": _("Scan for your e-receipt"), "tender": lambda k: tender_words.get(k, k),
              "traded_in": _("Traded in"), "payout": _("Paid out to you"),
              "certificate": _("Trade-in certificate"), "verify": _("Scan to verify the trade-in")}
    return layout.receipt(width, sale, shop_name=get_setting(db, "shop_name") or "Resale POS",
                          shop_address=get_setting(db, "shop_address") or "",
                          shop_phone=get_setting(db, "shop_phone") or "",
                          footer=get_setting(db, "receipt_footer") or "", receipt_url=url,
                          when=_when(config, sale["created_at"], locale), money=money, labels=labels,
                          kick_pin=kick, trade_ins=[dict(item, category=in_language(item["category"], locale))
                                                    for item in source.get("trade_ins") or []])


def _test_page(db, config, printer, width, locale, money):
    _ = gettext_in(locale)
    profile = profiles.get(printer["profile"]) or {"label": printer["profile"]}
    mode = (f"{_('Chinese')}: {printer.get('chinese_mode', 'bitmap')} · QR: "
            f"{printer.get('qr_mode', 'bitmap')} · {printer.get('raster', 'gsv0')}")
    return layout.test_page(width, printer_name=printer.get("name", ""), profile_label=profile["label"],
                            mode_label=mode, money=money, qr_url=f"{resolver_base(db, config)}/i/S-0001-T")


def job_bytes(db, config, kind, payload, printer):
    """The ESC/POS bytes of a job for ``printer`` in its modes (see :func:`printing.encode.encode`)."""
    with _forced(print_locale(config)):  # messages of errors raised here are made in the print language
        doc = build_doc(db, config, kind, payload, printer)
        font = render.find_font(config.get("PRINT_FONT")) if _needs_font(doc, printer) else None
        return encode(doc, chinese=printer["chinese_mode"], qr=printer["qr_mode"], raster=printer["raster"],
                      font=font)


def _needs_font(doc, printer):
    for block in doc.blocks:
        if isinstance(block, layout.Row) and any(ord(c) > 127 for c in block.text):
            return True
    return False


def preview_png(db, config, kind, payload, printer=None):
    """PNG bytes of what the job prints on ``printer`` (same layout as the bytes)."""
    doc = build_doc(db, config, kind, payload, printer)
    return render.to_png(render.preview(doc, render.find_font(config.get("PRINT_FONT"))))



"""Inventory routes: intake, item list and detail, consignors, tag sheets, and the public provenance page.

Routes stay thin: they read forms, call the domain functions in ``inventory.items`` /
``inventory.consignors`` and render.
"""

import io
import re

from flask import Blueprint, abort, current_app, flash, g, redirect, request, send_file, send_from_directory, url_for
from flask_babel import lazy_gettext as _l

from core import clock
from core.backup import register_json_columns
from core.db import get_db
from core.errors import DomainError
from core.forms import submit
from core.i18n import current_locale, in_language
from core.money import format_money, parse_percent_bps
from core.settings import condition_meaning, get_setting
from core.web import access, add_nav, background, public, render, staff_only
from inventory import consignors as consignor_actions
from inventory import items as item_actions
from inventory import labels, photos
from inventory.forms import ConsignorForm, IntakeForm, PriceForm
from printing import documents as print_documents
from printing import jobs as print_jobs
from printing import printers, qr
from printing.forms import CopiesForm
from printing.views import preview_response
from terms.contracts import outcome_label
from terms.pricing import current_price

bp = Blueprint("inventory", __name__)
PAGE_SIZE = 50


def _vault():
    return current_app.extensions["vault"]


def _intake_form(db, formdata=None):
    form = IntakeForm(formdata=formdata)
    form.category.choices = [(c, in_language(c)) for c in get_setting(db, "categories")]
    form.condition.choices = [(c, c) for c in get_setting(db, "conditions")]
    form.consignor.choices = [(0, _l("Shop stock (no consignor)"))] + [
        (c["id"], f"{c['number']} · {c['name']}") for c in consignor_actions.consignor_choices(db, _vault())
    ]
    return form


def _take_in(db, form):
    """Take the item in with its photo (one domain action, :func:`inventory.items.intake_with_photo`)."""
    upload = request.files.get("photo")
    return item_actions.intake_with_photo(
        db, current_app.config, current_app.instance_path, upload.read() if upload and upload.filename else None,
        title=form.title.data, category=form.category.data, condition=form.condition.data,
        price_fen=form.price.data, consignor_id=form.consignor.data or None, brand=form.brand.data or "",
        staff_id=g.staff["id"], do_not_discount=True if form.do_not_discount.data else None,
    )


@bp.route("/intake", methods=["GET", "POST"])
@staff_only
def intake():
    """Take in one item at a time; after saving, the form clears but keeps consignor and category."""
    db = get_db()
    form = _intake_form(db, request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.consignor.data = request.args.get("consignor", type=int) or 0
        form.category.data = request.args.get("category") or None
        form.condition.data = "B" if "B" in dict(form.condition.choices) else None
    last, status = None, 200
    if request.method == "POST":
        outcome = submit(form, lambda: _take_in(db, form))
        status = outcome.status
        if outcome.ok:
            last = outcome.value
            # "Save and print tag": queue the tag; a printing failure never loses the intake.
            print_jobs.enqueue_safely(db, "tag", {"item_ids": [last["id"]], "copies": 1})
            kept = {"consignor": form.consignor.data, "category": form.category.data,
                    "condition": form.condition.data}
            form = _intake_form(db)
            form.consignor.data, form.category.data, form.condition.data = (
                kept["consignor"], kept["category"], kept["condition"])
    session_batch = _today_batch(db)
    return render("inventory/intake.html", form=form, last=last, batch=session_batch, status=status)


def _today_batch(db, *, to_tag=False):
    """The items this staff member took in today, the shop's local day (for 'print tags for what I just took
    in'; not SQLite's UTC ``date('now')``, which puts a 07:59 Shanghai intake on yesterday). ``to_tag``: only
    those still for sale — an item sold (or returned, withdrawn…) since needs no tag."""
    status = " AND status = 'available'" if to_tag else ""
    return db.execute(
        "SELECT id, tag, title, price_fen FROM items WHERE created_by = ? AND created_at >= ? AND created_at < ?"
        f"{status} ORDER BY id DESC LIMIT 200", (g.staff["id"], *clock.day_bounds(clock.local_today()))
    ).fetchall()


@bp.route("/items")
@staff_only
def item_list():
    """Search and filter items; the table is an htmx fragment refreshed as you type."""
    db = get_db()
    args = request.args
    consignor_filter = args.get("consignor", type=int)
    page = max(1, args.get("page", 1, type=int))
    status = args.get("status") if args.get("status") in item_actions.STATUSES else None
    category = args.get("category") or None
    found = item_actions.search(db, args.get("q", ""), status=status,
                                consignor_id=consignor_filter if args.get("consignor") not in (None, "") else None,
                                category=category, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    context = {
        "items": found[:PAGE_SIZE], "has_more": len(found) > PAGE_SIZE, "page": page, "args": args,
        "statuses": item_actions.STATUSES, "categories": get_setting(db, "categories"),
    }
    if request.headers.get("HX-Target") == "item-results":
        # search-as-you-type: the table only. The consignor filter's list (every consignor decrypted, with
        # counts) is for the full page; building it for each keystroke was most of a search's time.
        return render("inventory/_item_table.html", **context)
    return render("inventory/items.html", consignors=consignor_actions.consignor_choices(db, _vault()), **context)


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
@access("staff", POST="owner")
def item_detail(item_id):
    """One item: details, tag preview, history, and the price-change form."""
    db = get_db()
    item = item_actions.get_item(db, item_id)
    form = PriceForm(formdata=request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda: item_actions.change_price(db, item_id, form.price.data, g.staff["id"],
                                                                 form.reason.data or ""))
        if outcome.ok:
            flash(_l("Price changed."), "success")
            return redirect(url_for("inventory.item_detail", item_id=item_id))
        status = outcome.status
    return render("inventory/item.html", item=item, history=item_actions.history(db, item_id), form=form,
                  price_now=current_price(db, item), status=status)


@bp.route("/consignors")
@staff_only
def consignor_list():
    """Consignors with their stock and what the shop owes them; search by number, name or phone."""
    db = get_db()
    found = consignor_actions.list_consignors(db, _vault(), request.args.get("q", ""))
    if request.headers.get("HX-Target") == "consignor-results":
        return render("inventory/_consignor_table.html", consignors=found)
    return render("inventory/consignors.html", consignors=found, q=request.args.get("q", ""))


@bp.route("/consignors/new", methods=["GET", "POST"])
@staff_only
def consignor_new():
    """Register a consignor (with their acceptance of the privacy notice)."""
    db = get_db()
    form = ConsignorForm(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.split.data = f"{get_setting(db, 'default_split_bps') / 100:g}"
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda: consignor_actions.create_consignor(
            db, _vault(), number=form.number.data, name=form.name.data, phone=form.phone.data or "",
            split_bps=parse_percent_bps(form.split.data), notes=form.notes.data or "",
            consent=form.consent.data == "yes", id_type=form.id_type.data or "", id_number=form.id_number.data or ""),
            "split")
        if outcome.ok:
            flash(_l("Consignor added."), "success")
            return redirect(url_for("inventory.consignor_detail", consignor_id=outcome.value))
        status = outcome.status
    return render("inventory/consignor_form.html", form=form, consignor=None, status=status)


@bp.route("/consignors/<int:consignor_id>", methods=["GET", "POST"])
@access("staff", POST="owner")
def consignor_detail(consignor_id):
    """A consignor's details (phone masked), their items, and what the shop owes them."""
    db = get_db()
    consignor = consignor_actions.get_consignor(db, _vault(), consignor_id)
    form = ConsignorForm(formdata=request.form if request.method == "POST" else None, data={
        "number": consignor["number"], "name": consignor["name"], "phone": "",
        "split": f"{consignor['split_bps'] / 100:g}", "notes": consignor["notes"], "consent": "yes",
        "id_type": consignor["id_type"] or "", "id_number": ""})
    del form.consent
    status = 200
    if request.method == "POST":
        if g.staff["role"] != "owner":
            abort(403)
        form.number.data = consignor["number"]
        outcome = submit(form, lambda: consignor_actions.update_consignor(
            db, _vault(), consignor_id, name=form.name.data, phone=(form.phone.data or "").strip() or None,
            split_bps=parse_percent_bps(form.split.data), notes=form.notes.data or "",
            id_type=form.id_type.data or "", id_number=(form.id_number.data or "").strip() or None), "split")
        if outcome.ok:
            flash(_l("Saved."), "success")
            return redirect(url_for("inventory.consignor_detail", consignor_id=consignor_id))
        status = outcome.status
    return render("inventory/consignor.html", consignor=consignor, form=form,
                  items=item_actions.search(db, consignor_id=consignor_id, limit=500),
                  owed_fen=consignor_actions.owed_to(db, consignor_id), status=status)


@bp.route("/tags/sheet")
@staff_only
def tag_sheet():
    """Tags as an HTML sheet at real label size, to print at 100 % scale on an ordinary printer.

    Query: ``ids=1,2,3`` (or ``batch=today`` for what this staff member took in today), ``stock`` (a key
    of :data:`inventory.labels.STOCKS`), ``skip`` (labels already used on the first sheet), ``copies``.
    """
    db = get_db()
    stock = labels.STOCKS.get(request.args.get("stock") or get_setting(db, "tag_stock")) or labels.STOCKS["roll-40x30"]
    if request.args.get("batch") == "today":
        ids = [row["id"] for row in _today_batch(db, to_tag=True)][::-1]
    else:
        ids = _ids(request.args.get("ids"))
    copies = min(max(request.args.get("copies", 1, type=int), 1), 20)
    skip = min(max(request.args.get("skip", 0, type=int), 0), stock.per_page - 1)
    chosen = []
    for item_id in ids:
        try:
            item = item_actions.get_item(db, item_id)
        except DomainError:
            continue
        item["price_now"] = current_price(db, item)
        matrix = qr.qr_matrix(item["uri"])
        item["qr_svg"] = qr.qr_svg(item["uri"])
        item["qr_mm"] = round(stock.qr_module_mm(len(matrix)) * len(matrix), 2)
        chosen.extend([item] * copies)
    return render("inventory/tag_sheet.html", stock=stock, pages=labels.pages(chosen, stock, skip), stocks=labels.STOCKS,
                  ids=",".join(str(i) for i in ids), count=len(chosen), skip=skip, copies=copies)


@bp.route("/qr/<int:item_id>.png")
@staff_only
def item_qr_png(item_id):
    """The item's QR code alone as a PNG (module 8 px, quiet zone 4 modules)."""
    item = item_actions.get_item(get_db(), item_id)
    return send_file(io.BytesIO(qr.qr_png(item["uri"])), mimetype="image/png")


@bp.route("/photos/<name>")
@public
def photo(name):
    """A stored item photo (public: the provenance page shows it; file names are random)."""
    if not name.endswith(".jpg") or "/" in name or ".." in name:
        abort(404)
    if name.endswith(photos.SMALL_SUFFIX) and not photos.ensure_small(current_app.instance_path,
                                                                       name[:-len(photos.SMALL_SUFFIX)] + ".jpg"):
        abort(404)
    return send_from_directory(photos.photo_dir(current_app.instance_path), name, max_age=86400)


@bp.route("/i/<tag>")
@public
def provenance(tag):
    """The public page a shopper's phone opens from the tag's QR: what the item is and its history,
    with no personal data of anyone."""
    db = get_db()
    try:
        item = item_actions.find_by_tag(db, tag)
    except DomainError:
        item = None
    if item is None:
        return render("inventory/provenance_missing.html", tag=tag, status=404)
    events = [e for e in item_actions.history(db, item["id"]) if e["kind"] in ("intake", "price", "sold", "refunded")]
    return render("inventory/provenance.html", item=item, events=events, price_now=current_price(db, item),
                  condition_meaning=condition_meaning(db, item["condition"], current_locale()))


@bp.route("/01/<gtin>/21/<int:serial>")
@public
def digital_link(gtin, serial):
    """GS1 Digital Link URI of an item (``/01/{GTIN-14}/21/{serial}``): show its provenance page."""
    db = get_db()
    row = db.execute("SELECT tag FROM items WHERE id = ?", (serial,)).fetchone()
    if row is None or not gtin.isdigit() or len(gtin) != 14:
        return render("inventory/provenance_missing.html", tag=f"{gtin}/{serial}", status=404)
    return redirect(url_for("inventory.provenance", tag=row["tag"]))


@bp.route("/tags/<int:item_id>.png")
@staff_only
def tag_png(item_id):
    """One price tag as the tag printer prints it (PNG)."""
    item_actions.get_item(get_db(), item_id)
    return preview_response("tag", {"item_ids": [item_id], "copies": 1})


def _ids(text):
    """The item ids of ``ids=1,2,3`` (at most 1000); what is not ASCII digits is skipped (``str.isdigit()``
    also passes ``"²"``, which ``int()`` refuses)."""
    return [int(x) for x in (text or "").split(",") if re.fullmatch("[0-9]{1,18}", x.strip())][:1000]


@bp.route("/printing/tags", methods=["GET", "POST"])
@staff_only
def tags_batch():
    """Preview a batch of tags (``ids=1,2,3`` or ``batch=today``, ``copies``), then queue it (POST)."""
    db = get_db()
    if request.values.get("batch") == "today":
        ids = [row["id"] for row in _today_batch(db, to_tag=True)][::-1]
    else:
        ids = _ids(request.values.get("ids"))
    copies = min(max(request.values.get("copies", 1, type=int), 1), 20)
    if request.method == "POST":
        job_id = print_jobs.enqueue(db, "tag", {"item_ids": ids, "copies": copies})
        flash(_l("%(n)d tags queued for printing.", n=len(ids) * copies), "success")
        return redirect(url_for("inventory.tags_batch", ids=",".join(map(str, ids)), copies=copies, job=job_id))
    items = []
    for item_id in ids:
        try:
            items.append(item_actions.get_item(db, item_id))
        except DomainError:
            continue
    return render("printing/tags_preview.html", items=items, ids=",".join(str(i["id"]) for i in items),
                  copies=copies, printer=printers.printer_for(db, "tag"),
                  job=print_jobs.get_job(db, request.args.get("job", type=int) or 0))


@bp.route("/items/<int:item_id>/print-tag", methods=["POST"])
@staff_only
def item_print_tag(item_id):
    """Queue this item's tag; answers the item's print panel."""
    db = get_db()
    item = item_actions.get_item(db, item_id)
    print_jobs.enqueue(db, "tag", {"item_ids": [item_id], "copies": CopiesForm().copies.data})
    return render("printing/_item_print.html", item=item)


@bp.route("/items/<int:item_id>/print-status")
@staff_only
@background
def item_print_status(item_id):
    """The item's print panel."""
    return render("printing/_item_print.html", item=item_actions.get_item(get_db(), item_id))


def register(app):
    """Register the blueprint, its navigation entries and tags as a print source."""
    app.register_blueprint(bp)
    print_documents.register_source("tag", item_actions.tag_documents)
    register_json_columns(app, "item_events", "data")
    app.add_template_global(status_label)
    app.add_template_global(event_label)
    app.add_template_global(photos.small_name, "photo_small")
    add_nav(app, "inventory.intake", _l("Intake"), icon="➕", order=20)
    add_nav(app, "inventory.item_list", _l("Items"), icon="🏷", order=30)
    add_nav(app, "inventory.consignor_list", _l("Consignors"), icon="🤝", order=40)


STATUS_LABELS = {
    "available": _l("In stock"), "sold": _l("Sold"), "returned": _l("Returned to consignor"),
    "donated": _l("Donated"), "withdrawn": _l("Withdrawn"), "scrapped": _l("Scrapped"),
}


def status_label(status):
    """An item status in the user's language (a plain string, translated now: a table calls this per row)."""
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status


def event_label(event, public=False):
    """One line of an item's history in the user's language (``public`` hides receipt numbers)."""
    data = event["data"]

    def money(fen):
        return format_money(fen, current_app.config["CURRENCY"], current_locale())

    kind = event["kind"]
    if kind == "intake":
        return _l("Taken in at %(price)s", price=money(data.get("price_fen", 0)))
    if kind == "price":
        return _l("Price changed from %(old)s to %(new)s", old=money(data.get("old_fen", 0)),
                  new=money(data.get("new_fen", 0)))
    if kind == "sold":
        if public:
            return _l("Sold")
        return _l("Sold for %(price)s, receipt %(no)s", price=money(data.get("net_fen", 0)), no=data.get("receipt_no"))
    if kind == "refunded":
        return _l("Refunded and back in stock")
    if kind == "markdown":
        if public:
            return _l("Price now %(new)s", new=money(data.get("new_fen", 0)))
        return _l("Markdown −%(pct)s %% after %(days)s days: %(old)s → %(new)s", pct="%g" % (data.get("discount_bps", 0) / 100),
                  days=data.get("days"), old=money(data.get("old_fen", 0)), new=money(data.get("new_fen", 0)))
    if kind == "category":
        return _l("Category renamed: %(old)s → %(new)s", old=in_language(data.get("old", "")),
                  new=in_language(data.get("new", "")))
    if kind == "expired":
        return _l("Consignment expired: %(outcome)s", outcome=outcome_label(data.get("outcome")))
    return kind

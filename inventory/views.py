"""Inventory routes: intake, item list and detail, consignors, tag sheets, and the public provenance page.

Routes stay thin: they read forms, call the domain functions in ``inventory.items`` /
``inventory.consignors`` and render.
"""

import io
import re

from babel.lists import format_list
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from flask_babel import lazy_gettext as _l

from core import clock, jsonld, notices
from core.backup import register_json_columns
from core.db import get_db, transaction
from core.errors import DomainError
from core.forms import first_error, submit
from core.i18n import current_locale, in_language, register_label_names
from core.money import format_money, parse_percent_bps
from core.settings import condition_meaning, get_setting, set_setting
from core.web import access, add_nav, background, is_fragment_request, owner_only, public, render, staff_only
from inventory import categories, extensions, gallery, labels, listing, photos
from inventory import consignors as consignor_actions
from inventory import items as item_actions
from inventory.forms import (
    ConfirmForm,
    ConsignorForm,
    IntakeForm,
    ItemEditForm,
    ItemEditSettingForm,
    PhotoForm,
    PhotoMoveForm,
    PriceForm,
    RevealForm,
    WithdrawForm,
)
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


def _take_in(db, form, extras=(), extras_ok=True):
    """Take the item in with its photo (one domain action, :func:`inventory.items.intake_with_photo`), and the
    registered extra fields (:mod:`inventory.extensions`) saved in the same transaction."""
    if not extras_ok:
        raise DomainError(_l("Check the fields marked below; nothing was saved."))
    upload = request.files.get("photo")
    return item_actions.intake_with_photo(
        db, current_app.config, current_app.instance_path, upload.read() if upload and upload.filename else None,
        title=form.title.data, category=form.category.data, condition=form.condition.data,
        price_fen=form.price.data, consignor_id=form.consignor.data or None, brand=form.brand.data or "",
        staff_id=g.staff["id"], do_not_discount=True if form.do_not_discount.data else None,
        after_insert=(lambda db_, item: extensions.save_intake(extras, db_, item)) if extras else None,
    )


@bp.route("/intake", methods=["GET", "POST"])
@staff_only
def intake():
    """Take in one item at a time; after saving, the form clears but keeps consignor and category."""
    db = get_db()
    form = _intake_form(db, request.form if request.method == "POST" else None)
    if request.method != "POST":  # GET, and HEAD (Flask answers it with this view): never the POST path
        form.consignor.data = request.args.get("consignor", type=int) or 0
        form.category.data = request.args.get("category") or None
        form.condition.data = "B" if "B" in dict(form.condition.choices) else None
    last, status = None, 200
    extras = extensions.bind_intake(current_app, db, form.category.data,
                                    request.form if request.method == "POST" else None)
    if request.method == "POST":
        checked = [extra.validate() for extra in extras]  # each one shows its messages, not only the first failing
        extras_ok = all(checked)
        outcome = submit(form, lambda: _take_in(db, form, extras, extras_ok))
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
            extras = extensions.bind_intake(current_app, db, form.category.data, None)
    session_batch = _today_batch(db)
    return render("inventory/intake.html", form=form, last=last, batch=session_batch, status=status, extras=extras)


@bp.route("/intake/extra")
@staff_only
def intake_extra():
    """The intake form's extra fields for the chosen category (htmx, on changing the category)."""
    db = get_db()
    category = request.args.get("category")
    extras = extensions.bind_intake(current_app, db, category if category in get_setting(db, "categories") else None,
                                    None)
    return render("inventory/_intake_extra.html", extras=extras)


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
    setting_form = None
    if g.staff["role"] == "owner":
        setting_form = ItemEditSettingForm(formdata=None,
                                           cashiers_edit_items=bool(get_setting(db, "cashiers_edit_items")))
    return render("inventory/items.html", consignors=consignor_actions.consignor_choices(db, _vault()),
                  setting_form=setting_form, **context)


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
                  price_now=current_price(db, item), status=status, photos=gallery.item_photos(db, item_id),
                  may_edit=may_edit_items(db), withdraw_form=WithdrawForm(), actions=item_actions_for(item),
                  panels=extensions.panels(current_app, "item", db, item))


def may_edit_items(db):
    """True when the logged-in staff member may edit items: the owner, or a cashier where the owner has
    allowed it (setting ``cashiers_edit_items``, default off)."""
    return g.staff["role"] == "owner" or bool(get_setting(db, "cashiers_edit_items"))


def _require_edit(db):
    if not may_edit_items(db):
        abort(403)


def _edit_form(db, item, formdata=None):
    form = ItemEditForm(formdata=formdata, data={name: item[name] for name in item_actions.EDIT_FIELDS})
    for name, key in (("category", "categories"), ("condition", "conditions")):
        values = list(get_setting(db, key))
        if item[name] not in values:
            values.append(item[name])
        getattr(form, name).choices = [(v, v) for v in values]
    return form


def _edit_page(db, item, form, status=200, photo_form=None, photo_error=None):
    return render("inventory/item_edit.html", item=item, form=form, status=status,
                  photos=gallery.item_photos(db, item["id"]), photo_form=photo_form or PhotoForm(),
                  photo_error=photo_error, max_photos=gallery.MAX_PHOTOS, locked=item["status"] != "available")


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@staff_only
def item_edit(item_id):
    """Edit an item's details and photos (owner; cashiers where the shop allows it). An item no longer in
    stock keeps its public facts: only its description can change (``inventory.items.edit_item``)."""
    db = get_db()
    _require_edit(db)
    item = item_actions.get_item(db, item_id)
    form = _edit_form(db, item, request.form if request.method == "POST" else None)
    if request.method != "POST":  # GET, and HEAD (Flask answers it with this view): never the POST path
        return _edit_page(db, item, form)
    fields = {"description": form.description.data or ""}
    for name in item_actions.PUBLIC_FIELDS:
        if name in request.form:
            fields[name] = getattr(form, name).data or ""
        else:  # the form of an item no longer in stock has the description only: the rest stay as they are
            getattr(form, name).data = item[name]
            getattr(form, name).raw_data = [item[name]]
    outcome = submit(form, lambda: item_actions.edit_item(db, current_app.config, item_id, staff_id=g.staff["id"],
                                                          **fields))
    if outcome.ok:
        flash(_l("Saved.") if outcome.value else _l("Nothing changed."), "success")
        return redirect(url_for("inventory.item_detail", item_id=item_id))
    return _edit_page(db, item, form, outcome.status)


def _photo_answer(db, item_id, outcome, form):
    """After a photo action: the edit page (htmx swaps its photo panel) with the action's error in the panel,
    or, for a plain form post that worked, back to the page."""
    if outcome.ok and not is_fragment_request():
        return redirect(url_for("inventory.item_edit", item_id=item_id) + "#item-photos")
    item = item_actions.get_item(db, item_id)
    return _edit_page(db, item, _edit_form(db, item), outcome.status,
                      form if isinstance(form, PhotoForm) else None,
                      None if outcome.ok or isinstance(form, PhotoForm) else first_error(form))


@bp.route("/items/<int:item_id>/photos", methods=["POST"])
@staff_only
def item_photo_add(item_id):
    """Add a photo to an item (at most :data:`inventory.gallery.MAX_PHOTOS`)."""
    db = get_db()
    _require_edit(db)
    item_actions.get_item(db, item_id)
    form = PhotoForm()
    upload = request.files.get("photo")
    outcome = submit(form, lambda: gallery.add_photo(db, current_app.instance_path, item_id,
                                                     upload.read() if upload else b"", staff_id=g.staff["id"]),
                     "photo")
    return _photo_answer(db, item_id, outcome, form)


@bp.route("/items/<int:item_id>/photos/<int:photo_id>/move", methods=["POST"])
@staff_only
def item_photo_move(item_id, photo_id):
    """Move a photo one place up or down (``direction``)."""
    db = get_db()
    _require_edit(db)
    item_actions.get_item(db, item_id)
    form = PhotoMoveForm()
    outcome = submit(form, lambda: gallery.move_photo(db, item_id, photo_id, form.direction.data,
                                                      staff_id=g.staff["id"]), "direction")
    return _photo_answer(db, item_id, outcome, form)


@bp.route("/items/<int:item_id>/photos/<int:photo_id>/remove", methods=["POST"])
@staff_only
def item_photo_remove(item_id, photo_id):
    """Remove one photo of an item."""
    db = get_db()
    _require_edit(db)
    item_actions.get_item(db, item_id)
    form = ConfirmForm()
    outcome = submit(form, lambda: gallery.remove_photo(db, current_app.instance_path, item_id, photo_id,
                                                        staff_id=g.staff["id"]))
    return _photo_answer(db, item_id, outcome, form)


@bp.route("/items/<int:item_id>/withdraw", methods=["POST"])
@owner_only
def item_withdraw(item_id):
    """Take an item in stock off sale (``inventory.items.withdraw``)."""
    db = get_db()
    item_actions.get_item(db, item_id)
    form = WithdrawForm()
    outcome = submit(form, lambda: item_actions.withdraw(db, item_id, staff_id=g.staff["id"],
                                                         reason=form.reason.data or ""), "reason")
    if outcome.ok:
        flash(_l("Withdrawn from sale."), "success")
    else:
        flash(form.reason.errors[0] if form.reason.errors else _l("Nothing changed."), "error")
    return redirect(url_for("inventory.item_detail", item_id=item_id))


@bp.route("/items/edit-setting", methods=["POST"])
@owner_only
def item_edit_setting():
    """The owner's switch: may cashiers edit items and their photos (setting ``cashiers_edit_items``)."""
    db = get_db()
    form = ItemEditSettingForm()

    def save():
        with transaction(db):
            set_setting(db, "cashiers_edit_items", bool(form.cashiers_edit_items.data))

    if submit(form, save).ok:
        flash(_l("Saved."), "success")
    return redirect(url_for("inventory.item_list"))


def register_item_action(app, endpoint, label, applies, confirm=None):
    """Offer a button on the item page that posts to ``endpoint`` (with ``item_id``): how an area above
    inventory adds an action about one item (``consignment`` adds *Return to consignor*) without inventory
    importing it. ``applies(item)`` says whether the button shows for that item; the endpoint still checks.

    Args:
        label, confirm: lazy strings (the button, and the question asked before posting).
    """
    app.extensions.setdefault("inventory_item_actions", []).append(
        {"endpoint": endpoint, "label": label, "applies": applies, "confirm": confirm})


def item_actions_for(item):
    """The registered item actions (:func:`register_item_action`) that apply to ``item``."""
    return [action for action in current_app.extensions.get("inventory_item_actions", []) if action["applies"](item)]


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
    if request.method != "POST":  # GET, and HEAD (Flask answers it with this view): never the POST path
        form.split.data = f"{get_setting(db, 'default_split_bps') / 100:g}"
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda: consignor_actions.create_consignor(
            db, _vault(), number=form.number.data, name=form.name.data, phone=form.phone.data or "",
            split_bps=parse_percent_bps(form.split.data), notes=form.notes.data or "",
            consent=form.consent.data == "yes", id_type=form.id_type.data or "", id_number=form.id_number.data or "",
            notice_version=form.notice_version.data, signature_png=notices.parse_signature(form.signature.data)),
            "split")
        if outcome.ok:
            flash(_l("Consignor added."), "success")
            return redirect(url_for("inventory.consignor_detail", consignor_id=outcome.value))
        status = outcome.status
    notice = notices.current_notice(db, "consignor")
    form.notice_version.data = str(notice["version"])
    return render("inventory/consignor_form.html", form=form, consignor=None, status=status, notice=notice,
                  notice_text=notices.notice_text(notice, current_locale()))


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
    return _consignor_page(db, consignor, form, status)


def _consignor_page(db, consignor, form, status=200, reveal_form=None, revealed=None):
    return render("inventory/consignor.html", consignor=consignor, form=form,
                  items=item_actions.search(db, consignor_id=consignor["id"], limit=500),
                  owed_fen=consignor_actions.owed_to(db, consignor["id"]), status=status,
                  reveal_form=reveal_form or RevealForm(formdata=None), revealed=revealed)


@bp.route("/consignors/<int:consignor_id>/reveal", methods=["POST"])
@owner_only
def consignor_reveal(consignor_id):
    """Show the consignor's phone and ID number in full on this one answer, for the reason the owner typed
    (``inventory.consignors.reveal_consignor``, audited as ``personal_data.reveal``); never cached."""
    db = get_db()
    consignor = consignor_actions.get_consignor(db, _vault(), consignor_id)
    reveal_form = RevealForm()
    outcome = submit(reveal_form, lambda: consignor_actions.reveal_consignor(
        db, _vault(), consignor_id, staff_id=g.staff["id"], reason=reveal_form.reason.data), "reason")
    form = ConsignorForm(formdata=None, data={
        "number": consignor["number"], "name": consignor["name"], "phone": "",
        "split": f"{consignor['split_bps'] / 100:g}", "notes": consignor["notes"], "id_type": consignor["id_type"] or "",
        "id_number": ""})
    del form.consent
    response = make_response(_consignor_page(db, consignor, form, 200 if outcome.ok else outcome.status,
                                             reveal_form=reveal_form, revealed=outcome.value if outcome.ok else None))
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
    price_now = current_price(db, item)
    structured = jsonld.product(
        item, price_fen=price_now, currency=current_app.config["CURRENCY"],
        page_url=url_for("inventory.provenance", tag=item["tag"], _external=True),
        category=in_language(item["category"]), shop_name=get_setting(db, "shop_name") or "",
        image_url=url_for("inventory.photo", name=item["photo"], _external=True) if item.get("photo") else None)
    return render("inventory/provenance.html", item=item, events=events, price_now=price_now,
                  sections=extensions.panels(current_app, "provenance", db, item), structured=structured,
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
    listing.register(app)  # the city catalogue's switches (inventory.listing)
    print_documents.register_source("tag", item_actions.tag_documents)
    register_label_names(app, lambda: categories.names(get_db()))
    register_json_columns(app, "item_events", "data")
    app.add_template_global(status_label)
    app.add_template_global(event_label)
    app.add_template_global(edit_lines)
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
    if kind == "edit":
        names = [str(FIELD_LABELS.get(name, name)) for name in data.get("changes", {})]
        return _l("Details edited: %(fields)s", fields=format_list(names, locale=current_locale()) if names else "")
    if kind == "withdrawn":
        if data.get("reason") and not public:
            return _l("Withdrawn from sale: %(reason)s", reason=data["reason"])
        return _l("Withdrawn from sale")
    if kind == "returned_to_consignor":
        return _l("Returned to the consignor")
    if kind == "photo_added":
        return _l("Photo added (%(n)d in all)", n=data.get("count", 0))
    if kind == "photo_removed":
        return _l("Photo %(pos)d removed (%(n)d left)", pos=data.get("position", 0), n=data.get("count", 0))
    if kind == "photo_moved":
        return _l("Photo moved from place %(old)d to %(new)d", old=data.get("old", 0), new=data.get("new", 0))
    return kind


FIELD_LABELS = {
    "title": _l("Title"), "category": _l("Category"), "condition": _l("Condition"), "brand": _l("Brand"),
    "model": _l("Model"), "description": _l("Description"),
}


def _shown(value, limit=60):
    """A field value for a history line: quoted, cut to ``limit`` characters, lines joined; empty → "—"."""
    text = " ".join(str(value or "").split())
    if not text:
        return "—"
    return "“" + (text if len(text) <= limit else text[:limit - 1] + "…") + "”"


def edit_lines(event):
    """The lines of an ``edit`` history row in the user's language: ``Title: “old” → “new”`` per field."""
    return [_l("%(field)s: %(old)s → %(new)s", field=FIELD_LABELS.get(name, name), old=_shown(change.get("old")),
               new=_shown(change.get("new")))
            for name, change in event["data"].get("changes", {}).items()]

"""Market-day routes: import sellers' items from CSV, list the day's sellers, the CSV template, and the
printable settlements."""

import io
import uuid

from flask import current_app, g, jsonify, request, send_file

from consignment import market
from consignment.forms import ImportForm
from consignment.views.blueprint import bp, vault
from core import clock, progress
from core.db import get_db
from core.errors import DomainError
from core.forms import submit
from core.web import background, owner_only, render, staff_only
from terms.settings import setting


@bp.route("/market", methods=["GET", "POST"])
@staff_only
def market_day():
    """Market-day mode: import sellers' items from CSV, list sellers, open settlements."""
    db = get_db()
    result, errors, status = None, [], 200
    if request.method == "POST":
        form = ImportForm()  # Flask-WTF reads request.files too
        key = form.progress_key.data

        def note(**values):
            progress.update(key, staff=g.staff["id"], **values)

        outcome = submit(form, lambda: market.import_csv(
            db, vault(), current_app.config, form.file.data.read(), market_day=market.parse_day(form.day.data),
            staff_id=g.staff["id"], progress=note), "day")
        if not outcome.ok:
            note(phase="refused")
        result, status = outcome.value, outcome.status
        if isinstance(outcome.error, market.ImportErrors):
            errors = outcome.error.errors  # (line, column, message) of each problem; the summary is on the file
    else:
        form = ImportForm(formdata=None, data={"day": request.args.get("day") or clock.local_today().isoformat()})
    try:
        day = market.parse_day(form.day.data)
    except DomainError:
        day = clock.local_today()
    return render("consignment/market.html", form=form, errors=errors, result=result, day=day,
                  progress_key=uuid.uuid4().hex,
                  sellers=market.sellers(db, day), commission_bps=setting(db, "market_commission_bps"), status=status)


@bp.route("/market/import/<key>/progress")
@staff_only
@background
def market_import_progress(key):
    """How far the import started under ``key`` (by this staff member) has come, as JSON: ``phase``
    (``checking``, ``importing``, ``done``, ``refused``), ``line`` (of the file), ``done`` and ``total`` rows;
    404 before it started."""
    found = progress.get(key)
    if found is None or found.get("staff") != g.staff["id"]:
        return jsonify({"phase": None}), 404
    return jsonify({name: found.get(name) for name in ("phase", "line", "done", "total")})


@bp.route("/market/template.csv")
@staff_only
def market_template():
    """The CSV template sellers fill in (UTF-8 with BOM)."""
    return send_file(io.BytesIO(market.template_csv(get_db())), mimetype="text/csv",
                     as_attachment=True, download_name="market-items-template.csv")


@bp.route("/market/settlement")
@owner_only
def market_settlement():
    """Printable settlements for a market day: one seller (``seller``) or all, one page each."""
    db = get_db()
    day = market.parse_day(request.args.get("day"))
    ids = [request.args.get("seller", type=int)] if request.args.get("seller") else [s["id"] for s in market.sellers(db, day)]
    return render("consignment/settlement.html", day=day,
                  settlements=[market.settlement(db, i, day) for i in ids if i],
                  commission_bps=setting(db, "market_commission_bps"))

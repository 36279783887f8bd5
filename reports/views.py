"""Report pages for the owner: one page and one CSV per report, with a period filter; the sales-by-day
page shows the server-drawn SVG chart (also at ``/reports/sales-by-day.svg``)."""

import io

from flask import Blueprint, Response, current_app, g, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from core import audit
from core.db import get_db, transaction
from core.errors import DomainError
from core.settings import get_setting
from core.web import add_nav, owner_only, render
from goods import transfer as goods_transfer
from reports import queries
from reports.chart import sales_chart_svg
from reports.csv_export import send_csv, table_csv

bp = Blueprint("reports", __name__, url_prefix="/reports")

REPORTS = {
    "sales-by-day": _l("Sales by day"),
    "sales-by-category": _l("By category"),
    "sales-by-consignor": _l("By consignor"),
    "sellers": _l("Best and worst sellers"),
    "inventory-aging": _l("Inventory aging"),
    "regulated-stock": _l("Regulated stock"),
    "vehicle-register": _l("Vehicle register"),
}


def _build(name, args):
    db = get_db()
    period = queries.period_from_args(args)
    if name == "sales-by-day":
        table = queries.sales_by_day(db, period)
    elif name == "sales-by-category":
        table = queries.sales_by_category(db, period)
    elif name == "sales-by-consignor":
        table = queries.sales_by_consignor(db, period)
    elif name == "sellers":
        table = queries.sellers(db, period, args.get("group") or "category")
    elif name == "inventory-aging":
        table = queries.inventory_aging(db)
    elif name == "regulated-stock":
        table = queries.regulated_stock(db)
    elif name == "vehicle-register":
        table = queries.vehicle_register(db, period)
    else:
        return None, period
    return table, period


def _chart(table, show_title=False):
    return Markup(sales_chart_svg(table.rows, title=_("Sales by day"), empty_text=_("No sales in this period."),
                                  label_net=_("Net sales"), label_refunds=_("Refunds"), show_title=show_title))


@bp.route("/")
@bp.route("/<name>")
@owner_only
def report(name="sales-by-day"):
    """A report page with its period filter and a link to its CSV."""
    if name not in REPORTS:
        return render("error.html", status=404, message=_("There is nothing at this address."), code=404)
    message, status = None, 200
    try:
        table, period = _build(name, request.args)
    except DomainError as exc:
        message, status = exc.message, exc.status
        table, period = _build(name, {})
    chart = _chart(table) if name == "sales-by-day" else None
    return render("reports/report.html", name=name, reports=REPORTS, table=table, period=period, chart=chart,
                  args=request.args, message=message, status=status, presets=queries.PRESETS)


@bp.route("/<name>.csv")
@owner_only
def report_csv(name):
    """The report as CSV (UTF-8 with BOM), named after the report and the period."""
    if name not in REPORTS:
        return Response(status=404)
    table, period = _build(name, request.args)
    filename = f"{name}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    if name in ("inventory-aging", "regulated-stock"):
        filename = f"{name}-{table.extra['as_of']}.csv"
    return send_csv(table_csv(table), filename, db=get_db(), staff_id=g.staff["id"], report=name)


@bp.route("/vehicle-register.pdf")
@owner_only
def vehicle_register_pdf():
    """The vehicle register for the period as an A4 landscape PDF (the same rows as the page and CSV)."""
    table, period = _build("vehicle-register", request.args)
    db = get_db()
    pdf = goods_transfer.register_pdf(table, period.start, period.end, current_app.config,
                                      shop_name=get_setting(db, "shop_name") or "")
    with transaction(db):
        audit.record(db, g.staff["id"], "export.vehicle_register", "report", "vehicle-register",
                     details={"rows": len(table.rows)})
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, max_age=0,
                     download_name=f"vehicle-register-{period.start.isoformat()}-{period.end.isoformat()}.pdf")


@bp.route("/sales-by-day.svg")
@owner_only
def chart_svg():
    """The sales-by-day chart alone, as an SVG file."""
    table, _period = _build("sales-by-day", request.args)
    return send_file(io.BytesIO(str(_chart(table, show_title=True)).encode("utf-8")), mimetype="image/svg+xml")


def register(app):
    """Register the blueprint and its navigation entry (owner only)."""
    app.register_blueprint(bp)
    add_nav(app, "reports.report", _l("Reports"), icon="📊", roles=("owner",), order=70)

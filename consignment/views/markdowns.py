"""Markdown and expiry routes: the markdown schedules, the list of items past their consignment period
(pick list, outcomes in bulk), and the worker recording markdowns in item history (hourly, and woken
when a step is added or removed: the pages never re-price the stock themselves)."""

from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from consignment import expiry, markdown_job
from consignment.forms import ExpiryForm, MarkdownForm
from consignment.views.blueprint import bp
from core import audit
from core.db import connect, get_db, transaction
from core.forms import first_error, submit
from core.money import parse_percent_bps
from core.settings import get_setting
from core.web import access, owner_only, render
from core.workers import wake_worker
from terms import markdowns
from terms.contracts import outcome_label


def _markdown_form(db, formdata=None):
    form = MarkdownForm(formdata=formdata)
    choices = [("all", str(_l("Every item")))]
    choices += [(f"cat:{c}", c) for c in get_setting(db, "categories")]
    for row in db.execute("SELECT k.id, c.number FROM contracts k JOIN consignors c ON c.id = k.consignor_id "
                          "ORDER BY c.number").fetchall():
        choices.append((f"contract:{row['id']}", str(_l("Contract of %(number)s", number=row["number"]))))
    form.scope.choices = choices
    return form


def _add_rule(db, form):
    scope = form.scope.data
    with transaction(db):
        rule = markdowns.add_rule(db, after_days=form.after_days.data,
                                  discount_bps=parse_percent_bps(form.discount.data),
                                  category=scope[4:] if scope.startswith("cat:") else None,
                                  contract_id=int(scope[9:]) if scope.startswith("contract:") else None)
        audit.record(db, g.staff["id"], "settings.change", "markdown_rule", rule,
                     fields=("after_days", "discount_bps", "scope"))
    wake_worker(current_app, "markdowns")  # the worker re-prices the stock; never inside this request


@bp.route("/markdowns", methods=["GET", "POST"])
@owner_only
def markdown_rules():
    """The markdown schedules: add and remove steps."""
    db = get_db()
    form = _markdown_form(db, request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda: _add_rule(db, form), "discount")
        if outcome.ok:
            flash(_l("Markdown step added."), "success")
            return redirect(url_for("consignment.markdown_rules"))
        status = outcome.status
    return render("consignment/markdowns.html", form=form, rules=markdowns.list_rules(db), status=status)


@bp.route("/markdowns/<int:rule_id>/delete", methods=["POST"])
@owner_only
def markdown_delete(rule_id):
    """Remove a markdown step."""
    db = get_db()
    with transaction(db):
        markdowns.delete_rule(db, rule_id)
        audit.record(db, g.staff["id"], "settings.change", "markdown_rule", rule_id, fields=("deleted",))
    wake_worker(current_app, "markdowns")  # the worker re-prices the stock; never inside this request
    flash(_l("Markdown step removed."), "success")
    return redirect(url_for("consignment.markdown_rules"))


@bp.route("/expiry", methods=["GET", "POST"])
@access("staff", POST="owner")
def expiry_list():
    """Items past their consignment period (in grace, or overdue); pick list; apply outcomes in bulk."""
    db = get_db()
    status, error = 200, None
    if request.method == "POST":
        form = ExpiryForm()
        outcome = submit(form, lambda: expiry.apply_outcomes(db, current_app.config, form.item.data or [],
                                                             staff_id=g.staff["id"]))
        if outcome.ok:
            done = ", ".join(f"{outcome_label(k)}: {v}" for k, v in outcome.value.items())
            flash(_l("Done — %(summary)s.", summary=done), "success")
            return redirect(url_for("consignment.expiry_list"))
        error, status = first_error(form), outcome.status
    found = expiry.expired_items(db)
    show = request.args.get("show", "all")
    if show in ("grace", "overdue"):
        found = [i for i in found if i["state"] == show]
    template = "consignment/pick_list.html" if request.args.get("print") else "consignment/expiry.html"
    return render(template, items=found, show=show, error=error, outcome_label=outcome_label, status=status)


def markdown_step(app):
    """Worker: record markdowns that took effect in item history (hourly), on its own connection."""
    db = connect(app.config["DATABASE"])
    try:
        markdown_job.record_due(db)
    finally:
        db.close()

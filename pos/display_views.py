"""Routes of the customer-facing display (``pos.display``): the cashier opens and closes the link (staff); the
display device shows it without logging in (public, by the link's token only)."""

import io

from flask import Blueprint, abort, current_app, redirect, request, send_file, url_for

from core.db import get_db
from core.web import public, render, staff_only
from pos import display, payment_codes, tenders
from pos.views import till_cart_id
from printing.qr import qr_svg

bp = Blueprint("display", __name__)


@bp.route("/till/display", methods=["GET", "POST"])
@staff_only
def display_link():
    """GET: the link state of this till's cart. POST: open a new link (the old one stops working) and show
    it as a QR for the display device to scan; POST with ``close``: end it."""
    db = get_db()
    cart_id = till_cart_id(db)
    url = None
    if request.method == "POST":
        if request.form.get("close"):
            display.close_display(db, cart_id)
            return redirect(url_for("display.display_link"))
        token = display.open_display(db, cart_id)
        url = url_for("display.shopper_view", token=token, _external=True)
    return render("pos/display_link.html", url=url, qr=qr_svg(url) if url else None,
                  open=display.has_display(db, cart_id))


def _state(token):
    state = display.display_state(get_db(), current_app.config, token)
    if state is None:
        abort(404)
    return state


def _render(token, template):
    state = _state(token)
    thanks_qr = qr_svg(state["thanks"]["url"]) if state["thanks"] else None
    kind = state["paying"] and state["paying"]["kind"]
    has_code = bool(kind) and payment_codes.code_path(get_db(), current_app.instance_path, kind) is not None
    return render(template, state=state, token=token, thanks_qr=thanks_qr, has_code=has_code,
                  tender_label=tenders.label)


@bp.route("/d/<token>")
@public
def shopper_view(token):
    """The display, full screen, for the shopper: the cart, the total, the payment code while one is shown,
    "thank you" with the e-receipt QR after the sale. Updates itself every second."""
    return _render(token, "pos/display.html")


@bp.route("/d/<token>/state")
@public
def shopper_state(token):
    """The display's changing part (htmx fragment, polled)."""
    return _render(token, "pos/_display_state.html")


@bp.route("/d/<token>/code.png")
@public
def shopper_code(token):
    """The payment code the till is showing now, for the display (404 when none is being shown)."""
    state = _state(token)
    kind = state["paying"] and state["paying"]["kind"]
    path = payment_codes.code_path(get_db(), current_app.instance_path, kind) if kind else None
    if path is None:
        abort(404)
    response = send_file(io.BytesIO(path.read_bytes()), mimetype="image/png", max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def register(app):
    """Register the display's blueprint."""
    app.register_blueprint(bp)

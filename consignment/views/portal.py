"""Consignor-portal routes (``consignment.portal``): the owner makes, renews and revokes a consignor's link from
their consignment pages; the consignor opens the hub's page on the shop's Wi-Fi without logging in, by the
link's token only (public). From home the registry serves the same data as ciphertext (``registry.portal``)."""

from flask import Blueprint, abort, current_app, flash, g, request, url_for
from flask_babel import lazy_gettext as _l

from consignment import portal
from consignment.forms import PortalLinkForm
from consignment.views.blueprint import bp, consignor_of, vault
from core.db import get_db
from core.forms import first_error, submit
from core.web import owner_only, public, render
from core.workers import wake_worker
from printing.qr import qr_svg
from sync.state import registry_url

#: an item's status as the consignor reads it
STATUS_LABELS = {"available": _l("For sale"), "sold": _l("Sold"), "returned": _l("Returned to you"),
                 "donated": _l("Donated"), "withdrawn": _l("Withdrawn from sale"), "scrapped": _l("Scrapped")}

#: the public page's blueprint (no ``/consignment`` prefix: the link stays short)
public_bp = Blueprint("portal", __name__)


def registry_link_qr(consignor_id):
    """``(url, svg)`` of the consignor's live registry link (``https://<registry>/p/<id>#k=…``) and its QR, or
    ``(None, None)``: printed on their agreement and statements (template global ``portal_link_qr``)."""
    db = get_db()
    link = portal.live_link(db, vault(), consignor_id, registry_url(db, current_app.config))
    if not link or not link["url"]:
        return None, None
    return link["url"], qr_svg(link["url"])


@bp.route("/portal/<int:consignor_id>", methods=["GET", "POST"])
@owner_only
def portal_link(consignor_id):
    """The consignor's portal link: its QR (the registry link), when it was made and published; POST makes a new
    one (the old stops working) or revokes it. A new link's hub address is shown once, here."""
    db = get_db()
    consignor = consignor_of(db, consignor_id)
    form = PortalLinkForm(formdata=request.form if request.method == "POST" else None)
    made = error = None
    status = 200
    if request.method == "POST":
        if form.action.data == "revoke":
            outcome = submit(form, lambda: portal.revoke_link(db, consignor_id, staff_id=g.staff["id"]))
            if outcome.ok:
                flash(_l("The portal link is revoked: it no longer opens, here or at the registry.")
                      if outcome.value else _l("There was no portal link to revoke."), "success")
        else:
            outcome = submit(form, lambda: portal.open_link(db, vault(), consignor_id, staff_id=g.staff["id"],
                                                            currency=current_app.config["CURRENCY"]))
            if outcome.ok:
                made = outcome.value
                flash(_l("A new portal link is made. Any earlier link stops working."), "success")
        if outcome.ok:
            wake_worker(current_app, "portal")
        else:
            error, status = first_error(form), outcome.status
    link = portal.live_link(db, vault(), consignor_id, registry_url(db, current_app.config))
    hub_url = portal_url = None
    if made:
        hub_url = _hub_url(made["token"])
    if link and link["url"]:
        portal_url = link["url"]
    return render("consignment/portal_link.html", consignor=consignor, link=link, form=form, error=error,
                  hub_url=hub_url, hub_qr=qr_svg(hub_url) if hub_url else None,
                  portal_url=portal_url, portal_qr=qr_svg(portal_url) if portal_url else None, status=status)


def _hub_url(token):
    return url_for("portal.page", portal_token=token, _external=True)


@public_bp.route("/portal/<portal_token>")
@public
def page(portal_token):
    """The consignor's portal on the hub, by the link's token: their items, sales, markdowns coming and balance.
    404 for an unknown, renewed or revoked link."""
    db = get_db()
    consignor_id = portal.consignor_for_token(db, portal_token)
    if consignor_id is None:
        abort(404)
    data = portal.snapshot(db, consignor_id, currency=current_app.config["CURRENCY"])
    response = current_app.make_response(render("consignment/portal.html", s=data, status_labels=STATUS_LABELS))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response

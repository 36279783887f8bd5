"""Consignment routes, one module per topic on the one ``consignment`` blueprint: contracts and settings
(:mod:`.contracts`), agreements (:mod:`.agreements`), markdowns and expiry (:mod:`.markdowns`), payouts and
balances (:mod:`.payouts`), statements (:mod:`.statements`), market day (:mod:`.market`) and returning an item to
its consignor (:mod:`.returns`, offered on the item page).

Routes stay thin: they read Flask-WTF forms, call the domain modules (through :func:`core.forms.submit`)
and render.
"""

from flask_babel import lazy_gettext as _l

from consignment import portal as portal_snapshots
from consignment.store_credit import check_tender

# Each topic module adds its routes to ``bp`` when imported (the names are the submodules, not the domain
# modules of the same name in ``consignment``).
from consignment.views import agreements, contracts, markdowns, market, payouts, portal, returns, statements  # noqa: F401
from consignment.views.blueprint import bp
from core.backup import register_json_columns
from core.web import add_nav, add_settings_link
from core.workers import register_worker
from inventory.views import register_item_action
from pos.tenders import register_account_check
from sync.portal import register_snapshot_source
from terms.contracts import describe_split

__all__ = ["bp", "register"]


def register(app):
    """Register the blueprint, its navigation entries and the markdown-history worker."""
    app.register_blueprint(bp)
    app.register_blueprint(portal.public_bp)
    app.add_template_global(portal.registry_link_qr, "portal_link_qr")
    register_snapshot_source(portal_snapshots.refresh_source)
    app.add_template_global(describe_split, "describe_split")
    register_account_check("store_credit", check_tender)
    register_json_columns(app, "item_terms", "terms_json")
    register_json_columns(app, "agreements", "terms_json")
    register_item_action(app, "consignment.item_return", _l("Return to consignor"), returns.offered_for,
                         confirm=_l("Hand this item back to its consignor? It leaves the stock."))
    add_nav(app, "consignment.payout_list", _l("Consignment"), icon="💴", order=45)
    add_nav(app, "consignment.market_day", _l("Market day"), icon="🎪", order=47)
    add_settings_link(app, "consignment.contract", _l("Consignment"),
                      _l("Default contract, return window, payouts, market commission"), order=40,
                      url_values={"consignor_id": 0})
    register_worker(app, "markdowns", markdowns.markdown_step, 3600)

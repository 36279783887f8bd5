"""Authorization matrix: every endpoint of ``app.url_map``, every method, requested with no session, as a
cashier and as an owner, against what the endpoint declares (``core.web.access``: public, staff, owner).

Each view is wrapped to record whether it ran, so the test knows whether the access rule stopped a request
before the view (not just which status came back):

- public: the view runs for everyone;
- staff: anonymous is sent to the login page and the view does not run; cashier and owner reach the view;
- owner: anonymous is sent to the login page, a cashier gets 403 and the view does not run, the owner
  reaches it.

An endpoint that declares nothing fails the test (and is refused to everyone by the app). URLs are built
from real rows of fixture data, so a view that looks its id up really runs. ``OPTIONS`` is Flask's automatic
answer (no view runs); it passes the same ``before_request`` and is not listed separately.
"""

import functools
from datetime import timedelta

from flask import g

from buying import buyins
from consignment import agreements, portal
from core import clock
from core.settings import get_setting, set_setting
from core.web import access_level
from goods import vehicles
from inventory import gallery
from pos import cart as carts
from pos import display
from printing import jobs, printers
from staff import accounts
from sync import reservations
from terms import markdowns
from tests.conftest import CASHIER_PIN, OWNER_PIN, jpeg_bytes, login, sell
from tests.test_vehicles import CARS, fields, signature

#: The endpoint Flask adds for ``static/``: public by design (stylesheets, scripts, icons).
STATIC = "static"
#: Fewer rules than this means the walk lost part of the app (88 when the matrix was written).
MIN_RULES = 88


def _fixture_values(app, db, staff, consignor, make_item):
    """One real value for every URL argument name used by the app's rules."""
    old = make_item(title="Matrix lamp", moment=clock.now() - timedelta(days=200))
    item = make_item(title="Matrix book")
    sale = sell(app, db, [old], staff_id=staff["cashier"], key="matrix-sale")
    agreement_id = agreements.create_agreement(db, consignor, staff_id=staff["owner"])
    rule_id = markdowns.add_rule(db, after_days=30, discount_bps=1000)
    printer_id = printers.save_printer(db, {
        "name": "Counter", "connection": "dummy", "profile": "POS-5890", "chinese_mode": "bitmap",
        "qr_mode": "bitmap", "raster": "gsv0", "for_receipts": True, "for_tags": True, "for_reports": True,
        "drawer_pin": "2", "kick_on_cash": False, "enabled": True})
    job_id = jobs.enqueue(db, "tag", {"item_ids": [item["id"]], "copies": 1})
    cart_id = carts.new_cart(db, staff["cashier"])
    carts.add_item(db, cart_id, item["id"])
    line_id = db.execute("SELECT id FROM cart_lines WHERE cart_id = ?", (cart_id,)).fetchone()[0]
    token = display.open_display(db, cart_id)
    outbox_id = db.execute("SELECT max(id) FROM outbox").fetchone()[0]
    photo_id = gallery.add_photo(db, app.instance_path, item["id"], jpeg_bytes())
    # a staff member of its own for routes that act on one (removal, PIN reset): not the ones logged in
    victim = accounts.create_staff(db, "Vera Victim", "cashier", "2468")
    buy_in = buyins.create_buy_in(
        db, app.config, app.extensions["vault"], idempotency_key="matrix-buy", staff_id=staff["cashier"],
        seller={"name": "王秀英", "id_type": "resident_id", "id_number": "11010519491231002X"}, method="wechat",
        reference="4200000001", lines=[{"title": "Matrix radio", "category": item["category"], "condition": "B",
                                        "brand": "", "price_fen": 5000, "cost_fen": 2000}])
    # an item held for an online reservation (sync.reservations), for its release route
    vase = make_item(title="Matrix vase")
    reservations.save_settings(db, enabled=True, hold_hours=24)
    reservations.decide(db, {"code": "K7QM-3XPD-W9TA", "epc": vase["uri"], "firstName": None,
                             "createdAt": clock.iso(), "expiresAt": clock.iso(clock.now() + timedelta(hours=1))})
    reservation_id = db.execute("SELECT id FROM online_reservations WHERE code = 'K7QM-3XPD-W9TA'").fetchone()[0]
    return {
        "reservation_id": reservation_id,
        "item_id": item["id"], "consignor_id": consignor, "sale_id": sale["id"], "receipt_no": sale["receipt_no"],
        "tag": item["tag"], "gtin": "06901234567892", "serial": item["id"], "name": "sales-by-day",
        "code": "en", "filename": "css/app.css", "agreement_id": agreement_id, "rule_id": rule_id,
        "printer_id": printer_id, "job_id": job_id, "line_id": line_id, "outbox_id": outbox_id,
        "shift_id": sale["shift_id"], "staff_id": victim, "key": "matrix-sale", "kind": "wechat",
        "token": token,
        "photo_id": photo_id,
        "buy_in_id": buy_in["id"],
        # a vehicle's transfer record (goods.transfer_pdf): none yet, a 404 once reached; staff-declared, but the
        # view itself refuses a cashier other than the seller in the open shift (see OWN_SALE_ONLY below)
        "number": "TR-2026-0001",
        "cert_no": 1,
        "seller_id": buy_in["seller"]["id"],
        "portal_token": portal.open_link(db, app.extensions["vault"], consignor, staff_id=staff["owner"])["token"],
    }


#: Arguments whose value depends on the endpoint (``name`` is a report name, but a photo's file name).
PER_ENDPOINT = {("inventory.photo", "name"): "no-such-photo.jpg",
                ("goods.report_file", "name"): "0123456789abcdef0123456789abcdef.pdf"}


def _path(rule, values):
    args = {}
    for arg in rule.arguments:
        value = PER_ENDPOINT.get((rule.endpoint, arg), values.get(arg))
        assert value is not None, f"{rule.rule}: add a real value for <{arg}> to _fixture_values"
        args[arg] = value
    return rule.build(args, append_unknown=False)[1]


def _record_calls(app):
    """Wrap every view so a request leaves the endpoint it reached in ``ran`` (declarations are copied)."""
    ran = []
    for endpoint, view in list(app.view_functions.items()):
        def recorder(*args, _view=view, _endpoint=endpoint, **kwargs):
            ran.append(_endpoint)
            return _view(*args, **kwargs)

        app.view_functions[endpoint] = functools.update_wrapper(recorder, view)
    return ran


def _client(app, staff_id=None, pin=None):
    client = app.test_client()
    if staff_id is not None:
        assert login(client, staff_id, pin).status_code == 302
    return client


def _goes_to_login(response):
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_every_endpoint_answers_only_the_roles_it_declares(app, db, staff, consignor, make_item, capsys):
    values = _fixture_values(app, db, staff, consignor, make_item)
    ran = _record_calls(app)
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))
    undeclared, wrong, requests = [], [], 0
    declared = {"public": 0, "staff": 0, "owner": 0}
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"OPTIONS"}):
            level = "public" if rule.endpoint == STATIC else access_level(view, method)
            if level is None:
                undeclared.append(f"{method} {rule.rule} ({rule.endpoint})")
                continue
            if method != "HEAD":
                declared[level] += 1
            path = _path(rule, values)
            for who in ("anonymous", "cashier", "owner"):
                client = _client(app) if who == "anonymous" else _client(
                    app, staff[who], OWNER_PIN if who == "owner" else CASHIER_PIN)
                ran.clear()
                response = client.open(path, method=method, data={})
                requests += 1
                reached = rule.endpoint in ran
                if who == "anonymous":
                    expected = level == "public"
                    refused_right = reached or _goes_to_login(response)
                elif who == "cashier":
                    expected = level != "owner"
                    refused_right = reached or response.status_code == 403
                else:
                    expected = True
                    refused_right = reached
                if reached != expected or not refused_right or response.status_code >= 500:
                    wrong.append(f"{method} {path} as {who}: declared {level}, view ran={reached}, "
                                 f"status {response.status_code} {response.headers.get('Location', '')}")
                response.close()
    assert not undeclared, "endpoints without an access declaration (core.web public/staff_only/owner_only):\n" \
        + "\n".join(undeclared)
    assert not wrong, "\n".join(wrong)
    assert len(rules) >= MIN_RULES
    pairs = sum(len(r.methods - {"OPTIONS", "HEAD"}) for r in rules)
    assert sum(declared.values()) == pairs
    with capsys.disabled():
        print(f"\nauthz matrix: {len(rules)} rules, {pairs} endpoint-methods "
              f"({declared['public']} public, {declared['staff']} staff, {declared['owner']} owner), "
              f"{requests} requests")


def test_an_undeclared_endpoint_is_refused_to_everyone_and_logged(app, staff, caplog):
    @app.route("/forgot-to-declare", methods=["GET", "POST"])
    def forgot():
        g.reached = True
        return "should not be reachable"

    owner = _client(app, staff["owner"], OWNER_PIN)
    for client in (app.test_client(), owner):
        for method in ("GET", "POST"):
            response = client.open("/forgot-to-declare", method=method)
            assert response.status_code == 403
            assert "should not be reachable" not in response.get_data(as_text=True)
    refused = [r for r in caplog.records if "forgot (" in r.getMessage()]
    assert len(refused) == 4 and refused[0].levelname == "ERROR"
    assert refused[0].getMessage() == "Endpoint forgot (GET) declares no access level; refused"


def test_cashier_cannot_pay_a_consignor(app, db, cashier_client, owner_client, consignor, make_item, staff):
    """The defect of issue 9 §1: POST /consignment/payouts/<id> saved a payout with the cashier's id."""
    item = make_item(price_fen=10000, moment=clock.now() - timedelta(days=40))
    sell(app, db, [item], staff_id=staff["owner"], key="payout-sale", moment=clock.now() - timedelta(days=35))
    form = {"amount": "10", "method": "cash", "key": "pay-1"}
    refused = cashier_client.post(f"/consignment/payouts/{consignor}", data=form)
    assert refused.status_code == 403
    assert db.execute("SELECT count(*) FROM payouts").fetchone()[0] == 0
    assert cashier_client.get(f"/consignment/payouts/{consignor}").status_code == 403
    paid = owner_client.post(f"/consignment/payouts/{consignor}", data=form)
    assert paid.status_code == 302
    assert [tuple(r) for r in db.execute("SELECT amount_fen, staff_id FROM payouts")] == [(1000, staff["owner"])]


def test_navigation_shows_a_cashier_no_link_they_would_be_refused(cashier_client, app):
    html = cashier_client.get("/till").get_data(as_text=True)
    for item in app.extensions["resale_nav"]:
        view = app.view_functions[item["endpoint"]]
        href = f'href="{app.url_map.bind("localhost").build(item["endpoint"])}"'
        assert (href in html) == (access_level(view, "GET") != "owner" and "cashier" in item["roles"]), href


#: What a real shop keeps to its owners (issue 9 §1): paying consignors and their balances and statements,
#: staff accounts, shop and consignment settings, contracts and markdowns, erasure, printers, reports,
#: refunds. Every endpoint-method under these paths must be declared owner, so a declaration cannot be
#: loosened by accident; cashiers sell, void with an owner's PIN, take intake and print tags.
OWNER_PATHS = ("/consignment/payouts", "/consignment/balances", "/consignment/statements", "/consignment/settings",
               "/consignment/erase", "/consignment/markdowns", "/consignment/market/settlement", "/staff",
               "/printing/printers", "/printing/drawer", "/reports", "/refund", "/settings")
#: Endpoints where staff may look (GET) and only an owner may change (POST).
OWNER_WRITES = {"consignment.contract", "inventory.consignor_detail", "inventory.item_detail",
                "consignment.expiry_list"}


def test_money_and_administration_are_declared_owner_only(app):
    checked = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - {"OPTIONS", "HEAD"}:
            owner_path = rule.rule.startswith(OWNER_PATHS)
            if owner_path or (rule.endpoint in OWNER_WRITES and method == "POST"):
                assert access_level(view, method) == "owner", f"{method} {rule.rule}"
                checked += 1
    assert checked >= 30


#: Staff-declared endpoints whose view narrows it further to the owner or the cashier who made the sale, during
#: its open shift (issue 12: the transfer record carries plate, certificate number and the buyer's identity).
OWN_SALE_ONLY = {"goods.transfer_pdf"}


def test_own_sale_endpoints_refuse_a_cashier_another_members_sale(app, db, staff, make_item, cashier_client,
                                                                 owner_client):
    """Declared staff (so the matrix above reaches them), yet a cashier is answered 403 for the owner's sale."""
    assert {r.endpoint for r in app.url_map.iter_rules() if r.endpoint in OWN_SALE_ONLY} == OWN_SALE_ONLY
    for endpoint in OWN_SALE_ONLY:
        assert access_level(app.view_functions[endpoint], "GET") == "staff"
    set_setting(db, "categories", [*get_setting(db, "categories"), CARS])
    set_setting(db, "regulated_kinds", {CARS: "vehicle"})
    clean = vehicles.clean_vehicle(**fields())
    car = make_item(title="Matrix car", price_fen=5880000, category=CARS, after_insert=lambda db_, item:
                    vehicles.save_vehicle(db_, app.extensions["vault"], item["id"], clean))
    vehicles.acknowledge(db, app.extensions["vault"], car["id"], name="李娜", id_type="resident_id",
                         id_number="11010519491231002X", acknowledged=True, signature=signature())
    sell(app, db, car, staff_id=staff["owner"], key="matrix-car")
    number = db.execute("SELECT number FROM vehicle_transfers").fetchone()[0]
    assert cashier_client.get(f"/goods/transfers/{number}.pdf").status_code == 403
    assert owner_client.get(f"/goods/transfers/{number}.pdf").status_code == 200

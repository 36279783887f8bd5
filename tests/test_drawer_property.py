"""Property: over random days of activity the drawer's expected cash always equals
float + cash in − cash out (computed here by an independent model), and the Z report reconciles with
the sales, refunds and payouts of the day — trade-in sales included (issue 13 §3: the trade-in is a tender, what
it exceeds the purchase by leaves the drawer, a payout beyond the drawer is refused, refunds give the trade-in's
part back in cash, such a sale is never voided)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buying import tradein
from core.db import transaction
from core.errors import DomainError
from pos import cart as carts
from pos import refunds, sales, shifts
from pos.drawer import record_cash_movement
from tests.conftest import OWNER_PIN

SELLER = {"name": "王秀英", "id_type": "resident_id", "id_number": "11010519491231002X", "phone": ""}

op = st.one_of(
    st.tuples(st.just("sale"), st.lists(st.integers(1, 30000), min_size=1, max_size=3),
              st.sampled_from(["cash", "card", "split"]), st.integers(0, 5000), st.booleans()),
    st.tuples(st.just("paid_in"), st.integers(-100, 20000)),
    st.tuples(st.just("paid_out"), st.integers(1, 40000)),
    st.tuples(st.just("payout"), st.integers(1, 20000)),
    st.tuples(st.just("refund"), st.integers(0, 50), st.sampled_from(["cash", "original"]),
              st.lists(st.integers(0, 120), min_size=1, max_size=3)),
    st.tuples(st.just("void"), st.integers(0, 50)),
    st.tuples(st.just("trade_in"), st.lists(st.integers(1, 30000), min_size=1, max_size=2),
              st.lists(st.integers(1, 40000), min_size=1, max_size=2), st.sampled_from(["cash", "card"])),
)

_counter = [0]


def _key(prefix):
    _counter[0] += 1
    return f"{prefix}-{_counter[0]}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(float_fen=st.integers(0, 50000), ops=st.lists(op, min_size=1, max_size=14),
       counted_delta=st.integers(-500, 500))
def test_drawer_and_z_report_add_up(app, db, staff, make_item, float_fen, ops, counted_delta):
    if shifts.current_shift(db):
        shifts.close_shift(db, counted_fen=0)
    shift = shifts.open_shift(db, float_fen=float_fen, staff_id=staff["owner"])
    cash_in = cash_out = 0
    my_sales = []   # model: dicts with id, total, tenders [(kind, amount)], lines, voided, refunded
    refunds_total = 0
    trade_in_paid = 0  # model: cash paid to shoppers whose trade-in exceeded their purchase

    def expected():
        return float_fen + cash_in - cash_out

    for step in ops:
        kind = step[0]
        if kind == "sale":
            _, prices, how, extra, consign = step
            items = [make_item(price_fen=p, consignor_id=None) if not consign else make_item(price_fen=p)
                     for p in prices]
            total = sum(prices)
            if how == "cash":
                entries = [{"kind": "cash", "amount_fen": total + extra}]
                tenders = [("cash", total)]
            elif how == "card":
                entries = [{"kind": "card", "amount_fen": total}]
                tenders = [("card", total)]
            else:
                part = max(1, total // 3) if total > 1 else 0
                entries = ([{"kind": "wechat", "amount_fen": part}] if part else []) + [
                    {"kind": "cash", "amount_fen": total - part + extra}]
                tenders = ([("wechat", part)] if part else []) + [("cash", total - part)]
            cart_id = carts.new_cart(db, staff["cashier"])
            for item in items:
                carts.add_item(db, cart_id, item["id"])
            sale = sales.complete_sale(db, app.config, cart_id=cart_id, entries=entries, idempotency_key=_key("s"),
                                       staff_id=staff["cashier"])
            assert sale["shift_id"] == shift["id"]
            cash_in += sum(a for k, a in tenders if k == "cash")
            my_sales.append({"id": sale["id"], "total": total, "tenders": tenders, "voided": False,
                             "lines": [{"id": l["id"], "net": l["net_fen"], "refunded": False} for l in sale["lines"]],
                             "given_back": {}})
        elif kind == "trade_in":
            _, prices, values, how = step
            items = [make_item(price_fen=p, consignor_id=None) for p in prices]
            total, value = sum(prices), sum(values)
            applied = min(total, value)
            due, payout = total - applied, value - applied
            entries = [{"kind": how, "amount_fen": due}] if due else []
            cart_id = carts.new_cart(db, staff["cashier"])
            for item in items:
                carts.add_item(db, cart_id, item["id"])
            with app.test_request_context():
                for cost in values:
                    tradein.add_to_cart(db, app.extensions["vault"], cart_id, seller=SELLER,
                                        line={"title": "Old radio", "category": items[0]["category"],
                                              "condition": "B", "brand": "", "price_fen": cost + 1, "cost_fen": cost})
                before = db.execute("SELECT count(*) FROM buy_ins").fetchone()[0]
                if payout and payout > expected():  # (a consignor payout may take the drawer below 0)
                    try:
                        sales.complete_sale(db, app.config, cart_id=cart_id, entries=entries,
                                            idempotency_key=_key("t"), staff_id=staff["cashier"])
                        raise AssertionError("a trade-in paid out more than the drawer holds")
                    except DomainError:
                        assert db.execute("SELECT count(*) FROM buy_ins").fetchone()[0] == before
                    continue
                sale = sales.complete_sale(db, app.config, cart_id=cart_id, entries=entries,
                                           idempotency_key=_key("t"), staff_id=staff["cashier"])
            assert db.execute("SELECT count(*) FROM buy_ins").fetchone()[0] == before + 1
            assert sale["trade_in_payout_fen"] == payout
            tenders = [("trade_in", applied)] + ([(how, due)] if due else [])
            assert [(t["kind"], t["amount_fen"]) for t in sale["tenders"]] == tenders
            cash_in += due if how == "cash" else 0
            cash_out += payout
            trade_in_paid += payout
            my_sales.append({"id": sale["id"], "total": total, "tenders": tenders, "voided": False,
                             "trade_in": True, "given_back": {},
                             "lines": [{"id": l["id"], "net": l["net_fen"], "refunded": False} for l in sale["lines"]]})
        elif kind == "paid_in":
            if step[1] <= 0:
                try:
                    shifts.move_cash(db, kind="paid_in", amount_fen=step[1], reason="float top-up")
                    raise AssertionError("a non-positive paid-in was accepted")
                except DomainError:
                    pass
            else:
                shifts.move_cash(db, kind="paid_in", amount_fen=step[1], reason="float top-up")
                cash_in += step[1]
        elif kind == "paid_out":
            if step[1] > expected():
                try:
                    shifts.move_cash(db, kind="paid_out", amount_fen=step[1], reason="supplies")
                    raise AssertionError("paid out more than the drawer holds")
                except DomainError:
                    pass
            else:
                shifts.move_cash(db, kind="paid_out", amount_fen=step[1], reason="supplies")
                cash_out += step[1]
        elif kind == "payout":
            with transaction(db):
                record_cash_movement(db, kind="payout", amount_fen=step[1], reference="p")
            cash_out += step[1]
        elif kind == "refund" and my_sales:
            _, pick, mode, percents = step
            sale = my_sales[pick % len(my_sales)]
            open_lines = [l for l in sale["lines"] if not l["refunded"]]
            chosen, wanted = [], []
            for i, pct in enumerate(percents[:len(open_lines)]):
                line = open_lines[i]
                amount = line["net"] * pct // 100
                chosen.append((line, amount))
                wanted.append({"sale_line_id": line["id"], "amount_fen": amount})
            bad = sale["voided"] or not chosen or any(a <= 0 or a > l["net"] for l, a in chosen)
            total_wanted = sum(a for _, a in chosen)
            if mode == "cash":
                cash_part = total_wanted
            else:  # dry run of "original methods, in order": how much of it is cash
                cash_part, left = 0, total_wanted
                for k, paid in sale["tenders"]:
                    if k == "trade_in":  # the old items were bought: that part goes back in cash
                        continue
                    take = min(paid - sale["given_back"].get(k, 0), left)
                    if take > 0:
                        left -= take
                        cash_part += take if k == "cash" else 0
                cash_part += left
            bad = bad or (cash_part > 0 and cash_part > expected())  # no cash out of a drawer without it
            if bad:
                try:
                    refunds.refund(db, app.config, sale_id=sale["id"], lines=wanted, tender_mode=mode,
                                   reason="r", idempotency_key=_key("r"))
                    raise AssertionError(f"a bad refund was accepted: {wanted}")
                except DomainError:
                    pass
            else:
                result = refunds.refund(db, app.config, sale_id=sale["id"], lines=wanted, tender_mode=mode,
                                        reason="r", idempotency_key=_key("r"))
                total = sum(a for _, a in chosen)
                assert result["total_fen"] == total
                for line, _ in chosen:
                    line["refunded"] = True
                refunds_total += total
                if mode == "cash":
                    cash_out += total
                else:  # the model of "original methods, in order, each up to what it paid less given back"
                    left = total
                    for k, paid in sale["tenders"]:
                        if k == "trade_in":
                            continue
                        room = paid - sale["given_back"].get(k, 0)
                        take = min(room, left)
                        if take > 0:
                            sale["given_back"][k] = sale["given_back"].get(k, 0) + take
                            left -= take
                            if k == "cash":
                                cash_out += take
                    cash_out += left  # the trade-in's part, in cash
                    sale["given_back"]["cash"] = sale["given_back"].get("cash", 0) + left
                for line in result["lines"]:
                    assert line["consignor_share_fen"] + line["shop_share_fen"] == line["amount_fen"]
        elif kind == "void" and my_sales:
            sale = my_sales[step[1] % len(my_sales)]
            refunded = any(l["refunded"] for l in sale["lines"])
            try:
                refunds.void_sale(db, app.config, sale_id=sale["id"], owner_id=staff["owner"], pin=OWNER_PIN,
                                  reason="v")
                assert not sale["voided"] and not refunded and not sale.get("trade_in")
                sale["voided"] = True
                cash_in -= sum(a for k, a in sale["tenders"] if k == "cash")
            except DomainError:
                assert sale["voided"] or refunded or sale.get("trade_in")
        assert shifts.cash_summary(db, shift["id"])["expected_fen"] == expected()

    counted = max(0, expected() + counted_delta)
    closed = shifts.close_shift(db, counted_fen=counted, staff_id=staff["owner"])
    z = shifts.z_report(db, closed["id"])
    live = [s for s in my_sales if not s["voided"]]
    assert z["cash"]["expected_fen"] == expected() == closed["expected_cash_fen"]
    assert z["count"]["variance_fen"] == counted - expected()
    assert z["sales"]["count"] == len(live)
    assert z["sales"]["net_fen"] == sum(s["total"] for s in live)
    assert z["refunds"]["total_fen"] == refunds_total
    assert z["net_takings_fen"] == z["sales"]["net_fen"] - refunds_total
    assert sum(t["net_fen"] for t in z["tenders"]) == z["net_takings_fen"]
    assert sum(c["net_fen"] for c in z["categories"]) == z["sales"]["net_fen"]
    assert sum(c["net_fen"] for c in z["consignors"]) == z["sales"]["net_fen"]
    assert sum(c["refunds_fen"] for c in z["categories"]) == refunds_total
    assert z["voids"]["total_fen"] == sum(s["total"] for s in my_sales if s["voided"])
    assert z["movements"]["payout_fen"] == sum(step[1] for step in ops if step[0] == "payout")
    assert z["cash"]["trade_in_fen"] == trade_in_paid
    trade_in_tender = next((t for t in z["tenders"] if t["kind"] == "trade_in"), None)
    applied = sum(a for s in live if s.get("trade_in") for k, a in s["tenders"] if k == "trade_in")
    assert (trade_in_tender["sales_fen"] if trade_in_tender else 0) == applied

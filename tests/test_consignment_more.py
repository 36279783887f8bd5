"""Market-day CSV import and settlement, statements (page data and PDF), agreements, erasure."""

import re
from datetime import date

import pypdfium2

import pytest

from consignment import agreements, erasure, market, payouts, statements
from consignment.market import ImportErrors
from core.errors import DomainError
from tests.conftest import count, sell


def pdf_text(data, pages=False):
    """The text of a PDF (``bytes``): one string, or a list with one per page when ``pages``."""
    document = pypdfium2.PdfDocument(data)
    try:
        texts = [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()
    return texts if pages else "\n".join(texts)


from tests.test_consignment import T0, days, refund_line

HEADER = "seller_number,seller_name,title,category,price,condition\n"


def csv_bytes(body, encoding="utf-8", header=HEADER):
    return (header + body).encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_import_in_every_encoding(app, db, staff, encoding):
    body = "M1,王小明,乐高积木,玩具,35.5,B\nM1,王小明,童书《小王子》,Books,12,A\nM2,李雷,滑板车,玩具 Toys,80,\n"
    result = market.import_csv(db, app.extensions["vault"], app.config, csv_bytes(body, encoding),
                               market_day=date(2026, 10, 1))
    assert (result["items"], result["sellers_created"]) == (3, 2)
    rows = db.execute("SELECT i.title, i.category, i.price_fen, i.condition, c.number, i.split_bps FROM items i "
                      "JOIN consignors c ON c.id = i.consignor_id ORDER BY i.id").fetchall()
    assert [tuple(r) for r in rows] == [
        ("乐高积木", "玩具 Toys", 3550, "B", "M1", 8500), ("童书《小王子》", "书籍 Books", 1200, "A", "M1", 8500),
        ("滑板车", "玩具 Toys", 8000, "B", "M2", 8500)]
    assert app.extensions["vault"].decrypt(db.execute("SELECT name_enc FROM consignors WHERE number='M1'")
                                           .fetchone()[0]) == "王小明"


def test_csv_bad_rows_give_line_numbers_and_nothing_is_applied(app, db, staff):
    body = ("M1,王小明,乐高积木,玩具,35.5,B\n"
            "M1,王小明,书,书籍,-3,B\n"
            "M1,王小明,书2,书籍,12.345,B\n"
            "M2,李雷,,玩具,10,B\n"
            "M3,韩梅梅,风筝,Weapons,10,B\n"
            "M4,,风筝,玩具,abc,Z\n")
    with pytest.raises(ImportErrors) as exc:
        market.import_csv(db, app.extensions["vault"], app.config, csv_bytes(body, "gbk"), market_day=date(2026, 10, 1))
    errors = [(line, col, str(msg)) for line, col, msg in exc.value.errors]
    assert errors[0] == (3, "price", "The amount cannot be negative.")
    assert errors[1] == (4, "price", "At most two decimals (fen), e.g. 12.50.")
    assert errors[2] == (5, "title", "This field is required.")
    assert errors[3][:2] == (6, "category") and "Unknown category “Weapons”" in errors[3][2]
    assert [(l, c) for l, c, _ in errors[4:]] == [(7, "seller_name"), (7, "condition"), (7, "price")]
    assert "“abc” is not an amount" in errors[6][2]
    assert count(db, "items") == 0 and count(db, "consignors") == 0 and count(db, "market_sellers") == 0


def test_csv_missing_columns_and_broken_encoding(app, db, staff):
    with pytest.raises(ImportErrors) as exc:
        market.import_csv(db, app.extensions["vault"], app.config, b"seller_number,title\nM1,x\n",
                          market_day=date(2026, 10, 1))
    assert [(l, str(m)) for l, _c, m in exc.value.errors] == [
        (1, "Missing column(s): seller_name, category, price. Use the template.")]
    broken = csv_bytes("M1,王小明,球,玩具,3,B\n", "utf-8") + b"M1,\xff\xfe\xff,x,y,1,B\n"
    with pytest.raises(ImportErrors) as exc:
        market.import_csv(db, app.extensions["vault"], app.config, broken, market_day=date(2026, 10, 1))
    assert exc.value.errors[0][0] == 3 and "neither UTF-8 nor GBK" in str(exc.value.errors[0][2])
    assert count(db, "items") == 0


def test_csv_refuses_numbers_of_shop_consignors(app, db, staff, consignor):
    with pytest.raises(ImportErrors) as exc:
        market.import_csv(db, app.extensions["vault"], app.config, csv_bytes("A17,王小明,球,玩具,3,B\n"),
                          market_day=date(2026, 10, 1))
    assert [(l, c) for l, c, _m in exc.value.errors] == [(2, "seller_number")]
    assert "A17 is the number of one of the shop's consignors" in str(exc.value.errors[0][2])


def test_template_round_trips(app, db, staff):
    result = market.import_csv(db, app.extensions["vault"], app.config, market.template_csv(db),
                               market_day=date(2026, 10, 1))
    assert result["items"] == 2


def test_market_settlement_commission(app, db, staff):
    market.import_csv(db, app.extensions["vault"], app.config,
                      csv_bytes("M1,王小明,积木,玩具,35.55,B\nM1,王小明,书,书籍,12,B\nM1,王小明,球,玩具,5,B\n"),
                      market_day=date(2026, 9, 1), moment=T0)
    items = db.execute("SELECT * FROM items ORDER BY id").fetchall()
    sell(app, db, dict(items[0]), staff_id=staff["owner"], moment=days(0, 1), key="a")
    sale = sell(app, db, dict(items[1]), staff_id=staff["owner"], moment=days(0, 2), key="b")
    refund_line(db, sale, 0, days(0, 3))
    seller = db.execute("SELECT id FROM consignors WHERE number = 'M1'").fetchone()[0]
    result = market.settlement(db, seller, date(2026, 9, 1))
    # 35.55 × 85 % = 30.2175 → 30.22; organiser 5.33
    assert (result["gross_fen"], result["commission_fen"], result["payout_fen"]) == (3555, 533, 3022)
    assert [u["title"] for u in result["unsold"]] == ["球"]  # the test refund does not restock
    # market sellers are payable the same day (market_return_window_days = 0); the refund is reversed
    from terms import ledger

    assert ledger.balance(db, seller, days(0, 4)) == 3022


def test_statement_period_balances(app, db, staff, consignor, make_item):
    a = make_item(title="旧书《围城》", price_fen=10000, moment=T0)
    b = make_item(title="Walkman", price_fen=5000, moment=T0)
    sell(app, db, a, staff_id=staff["owner"], moment=days(1))                        # credit 60.00 matures day 8
    sale = sell(app, db, b, staff_id=staff["owner"], moment=days(20), key="k2")     # credit 30.00 matures day 27
    refund_line(db, sale, 0, days(29))                     # reversed day 29
    payouts.pay(db, consignor, amount_fen=4000, method="wechat", reference="WX123", idempotency_key="p",
                moment=days(25))
    # T0 is 2026-09-01 10:00 in Shanghai; period 2026-09-10 .. 2026-09-30
    data = statements.statement(db, app.extensions["vault"], consignor, date(2026, 9, 10), date(2026, 9, 30))
    assert data["opening_fen"] == 6000
    assert data["credits_fen"] == 3000
    assert [p["amount_fen"] for p in data["payouts"]] == [4000]
    assert [e["amount_fen"] for e in data["reversals"]] == [-3000]
    assert data["closing_fen"] == 6000 + 3000 - 3000 - 4000 == 2000
    assert data["pending_fen"] == 0
    assert [s["title"] for s in data["sold"]] == ["Walkman"] and data["taken_in"] == []
    assert data["consignor"]["name"] == "张伟" and data["consignor"]["phone_masked"] == "138****5678"
    with app.test_request_context():
        pdf = statements.render_pdf(data, app.config, money=lambda f: f"¥{f / 100:.2f}", shop_name="测试小铺")
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    # the sold table: date (local), tag, title with the refund mark, price, split and share, in that order
    sold = re.search(r"2026-09-21\s+(\S+)\s+Walkman ↩\s+¥50\.00\s+60%\s+¥30\.00", text)
    assert sold and sold.group(1) == data["sold"][0]["tag"], text
    assert re.search(r"2026-09-26\s+\S+\s+WX123\s+¥40\.00", text)  # the payout row
    assert "13812345678" not in text  # the phone only masked


def test_statement_pdf_tables_repeat_their_heads_across_pages(app, db, staff, consignor, make_item):
    for i in range(70):
        sell(app, db, make_item(title=f"Book {i:02d} " + "with a long title " * 4, price_fen=1000, moment=T0),
             staff_id=staff["owner"], moment=days(1), key=f"s{i}")
    data = statements.statement(db, app.extensions["vault"], consignor, date(2026, 9, 1), date(2026, 9, 30))
    with app.test_request_context():
        pdf = statements.render_pdf(data, app.config, money=lambda f: f"¥{f / 100:.2f}", shop_name="测试小铺")
    pages = pdf_text(pdf, pages=True)
    assert len(pages) >= 3
    # column heads on each page (zh_CN, the shop's default language): "sold" has six, "taken in" four
    assert all(page.startswith("日期 标签 商品 售价") for page in pages[1:]), [p[:40] for p in pages]
    assert "日期 标签 商品 售价 分成 您的分成" in pages[1]
    assert all(f"Book {i:02d}" in "".join(pages) for i in range(70))  # long titles wrap, nothing is cut off


def test_pdf_font_missing_is_named(app, db, consignor):
    data = statements.statement(db, app.extensions["vault"], consignor, date(2026, 9, 1), date(2026, 9, 30))
    with app.test_request_context(), pytest.raises(DomainError) as exc:
        statements.render_pdf(data, {"PDF_FONT_PATH": "/nope/font.ttf"}, money=str)
    assert "/nope/font.ttf" in str(exc.value.message)


def test_agreement_lists_items_and_stores_signature(db, consignor, make_item, staff):
    import base64

    make_item(title="A")
    make_item(title="B")
    agreement_id = agreements.create_agreement(db, consignor, staff_id=staff["owner"])
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 20
    with pytest.raises(DomainError):
        agreements.sign(db, agreement_id, "data:image/png;base64,")
    agreements.sign(db, agreement_id, "data:image/png;base64," + base64.b64encode(png).decode())
    agreement = agreements.get_agreement(db, agreement_id)
    assert [i["title"] for i in agreement["items"]] == ["A", "B"] and agreement["signature_png"] == png
    with pytest.raises(DomainError):
        agreements.create_agreement(db, consignor)            # nothing new to list


def test_erasure_wipes_personal_data_keeps_sales(app, db, staff, consignor, make_item):
    from core.errors import Conflict
    from inventory.consignors import get_consignor

    sale = sell(app, db, make_item(price_fen=1000, moment=T0), staff_id=staff["owner"], moment=days(1))
    with pytest.raises(Conflict):
        erasure.erase_consignor(db, consignor, moment=days(2))   # still owed (pending)
    payouts.pay(db, consignor, amount_fen=600, method="bank", reference="T", idempotency_key="p", moment=days(9))
    erasure.erase_consignor(db, consignor, moment=days(9))
    row = db.execute("SELECT name_enc, phone_enc, erased_at FROM consignors WHERE id = ?", (consignor,)).fetchone()
    assert row[0] is None and row[1] is None and row[2]
    assert get_consignor(db, app.extensions["vault"], consignor)["name"] == ""
    assert db.execute("SELECT consignor_share_fen FROM sale_lines WHERE id = ?", (sale["lines"][0]["id"],)).fetchone()[0] == 600

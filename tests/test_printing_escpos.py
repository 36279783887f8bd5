"""ESC/POS output decoded back (tests/escpos_decode.py): exact text per encoding, rebuilt raster images,
QR payloads (native GS ( k store, or decoded with zxing-cpp from the raster), in every printer mode."""

import pytest

from pos import cart as carts
from pos import sales
from printing import documents, encode, jobs, layout, render, worker
from printing.printers import save_printer
from tests.escpos_decode import decode

RECEIPT_URL_PREFIX = "https://shop.example.cn/r/1?k="
MODES = [(c, q, r) for c in ("resident", "bitmap") for q in ("native", "bitmap") for r in ("gsv0", "escstar")]


@pytest.fixture
def sale(app, db, make_item, staff):
    """A cash sale with a Chinese and a Latin line and a discount."""
    a = make_item(title="旧书《围城》钱钟书，1991年 人民文学出版社", price_fen=1800)
    b = make_item(title="Levi's 501 jeans W32", price_fen=12000)
    cart_id = carts.new_cart(db, staff["owner"])
    carts.add_item(db, cart_id, a["id"])
    carts.add_item(db, cart_id, b["id"])
    line_id = db.execute("SELECT id FROM cart_lines ORDER BY id").fetchone()[0]
    carts.set_discount(db, cart_id, line_id, amount_fen=200, role="owner")
    return sales.complete_sale(db, app.config, cart_id=cart_id, entries=[{"kind": "cash", "amount_fen": 20000}],
                               idempotency_key="k-print")


def _printer(db, **overrides):
    data = {"name": "Counter", "connection": "dummy", "profile": "POS-5890", "chinese_mode": "resident",
            "qr_mode": "bitmap", "raster": "gsv0", "for_receipts": True, "for_tags": True, "for_reports": True,
            "drawer_pin": "2", "kick_on_cash": True, "status_query": False, "enabled": True}
    data.update(overrides)
    return save_printer(db, data)


def _rows(doc):
    return [b for b in doc.blocks if isinstance(b, layout.Row)]


@pytest.mark.parametrize("chinese,qr,raster", MODES)
def test_receipt_bytes_decode_to_exact_content_in_every_mode(app, db, sale, chinese, qr, raster):
    profile = "TM-T20II" if qr == "native" else "NT-5890K"  # NT-5890K has ESC * and GS v 0, no native QR
    printer_id = _printer(db, profile=profile, chinese_mode=chinese, qr_mode=qr, raster=raster)
    printer = dict(db.execute("SELECT * FROM printers WHERE id = ?", (printer_id,)).fetchone())
    with app.app_context():
        doc = documents.build_doc(db, app.config, "receipt", {"sale_id": sale["id"]}, printer)
        data = documents.job_bytes(db, app.config, "receipt", {"sale_id": sale["id"]}, printer)
    url = sales.receipt_url("https://shop.example.cn", app.config["SECRET_KEY"], sale["receipt_no"])
    decoded = decode(data)
    rows = _rows(doc)
    ascii_rows = [r.text.rstrip() for r in rows if r.text.isascii()]
    wide_rows = [r for r in rows if not r.text.isascii()]

    # the drawer opens first on a cash sale, and every receipt ends with a cut
    assert decoded.drawer == [2] and decoded.events[1] == ("drawer", 2) or decoded.events[0][0] == "init"
    assert decoded.drawer == [2]
    assert decoded.cuts == 1
    if chinese == "resident":
        # every row is text; Chinese rows went through FS & … FS . as GB18030
        assert decoded.lines == [r.text.rstrip() for r in rows]
        title = layout.wrap("旧书《围城》钱钟书，1991年 人民文学出版社", doc.cols)
        start = decoded.lines.index(title[0])
        assert decoded.lines[start:start + len(title)] == title
        shop = [line.strip() for line in layout.wrap("测试小铺 Test Shop", doc.cols // 2)]
        assert [line.strip() for line in decoded.lines[:len(shop)]] == shop
        total = [line for line in decoded.kanji_lines if line.endswith("￥136.00")]
        assert len(total) == 1 and layout.text_cols(total[0]) == doc.cols // 2  # double size: half the columns
        assert any(line.startswith("A17-0001-") and line.endswith("￥18.00") for line in decoded.lines)
        assert sum(1 for line in decoded.lines if line.endswith(" -￥2.00")) == 2  # line discount + total discount
        assert any(line.startswith("Levi's 501 jeans W32") for line in decoded.lines)
        text_images = []
    else:
        # only ASCII rows as text; the Chinese rows arrive as raster images identical to the preview's rows
        assert decoded.lines == ascii_rows
        assert "Levi's 501 jeans W32" in [line.strip() for line in decoded.lines]
        assert not decoded.kanji_lines
        font = render.find_font()
        groups, current = [], []
        for block in doc.blocks:
            if isinstance(block, layout.Row) and not block.text.isascii():
                current.append(block)
            elif current and not (isinstance(block, layout.Row) and not block.text.isascii()):
                groups.append(current)
                current = []
        if current:
            groups.append(current)
        text_images = decoded.images[:len(groups)] if qr == "native" else [
            img for img in decoded.images if not _has_qr(img)]
        assert len(text_images) == len(groups) == sum(1 for _ in groups)
        for image, group in zip(text_images, groups):
            expected = render.rows_image(group, doc.width_dots, font)
            rebuilt = image.point(lambda v: 1 if v < 128 else 0, mode="1").crop((0, 0, expected.width, expected.height))
            assert ([1 if v else 0 for v in rebuilt.convert("L").tobytes()]
                    == [1 if v else 0 for v in expected.convert("L").tobytes()]), "raster differs"
        assert sum(len(g) for g in groups) == len(wide_rows)
    if qr == "native":
        assert decoded.qr_native == [url]
        fns = [v[0] for k, v in decoded.events if k == "qr_fn"]
        assert fns == [65, 67, 69]  # model, module size, error correction
        assert ("qr_fn", (69, bytes((49,)))) in decoded.events  # error correction M
        assert not decoded.qr_from_images()
    else:
        assert decoded.qr_native == []
        assert decoded.qr_from_images() == [url]
    token = url[len(RECEIPT_URL_PREFIX):]  # the 128-bit token: 22 base64url characters, no padding
    assert url.startswith(RECEIPT_URL_PREFIX) and len(token) == 22 and token.replace("-", "").replace("_", "").isalnum()
    assert url == RECEIPT_URL_PREFIX + sales.receipt_token(app.config["SECRET_KEY"], 1, sales.TOKEN_CURRENT)


def _has_qr(image):
    import zxingcpp

    return bool(zxingcpp.read_barcodes(image))


def test_bitmap_qr_has_four_module_quiet_zone_and_three_dots_per_module(app):
    block = layout.QR("https://shop.example.cn/i/A17-0042-3", module=3)
    image = render.qr_image(block, 384)
    from printing.qr import qr_matrix

    n = len(qr_matrix(block.data))
    side = n * 3
    left = (384 - side) // 2 // 8 * 8
    pixels = image.load()
    # the first and last 4 modules (12 dots) of the symbol area are blank on every side
    for y in range(side):
        for x in list(range(left, left + 12)) + list(range(left + side - 12, left + side)):
            assert not pixels[x, y]
    for x in range(left, left + side):
        for y in list(range(0, 12)) + list(range(side - 12, side)):
            assert not pixels[x, y]
    decoded = decode(encode.raster_gsv0(image))
    assert decoded.qr_from_images() == [block.data]


def test_tag_qr_payload_is_the_item_uri_on_both_qr_paths(app, db, make_item):
    item = make_item(title="电子产品 iPhone 8 64GB 银色", price_fen=45000)
    for qr_mode, profile in (("native", "TM-T20II"), ("bitmap", "POS-5890")):
        printer_id = _printer(db, name=qr_mode, profile=profile, qr_mode=qr_mode, chinese_mode="resident")
        printer = dict(db.execute("SELECT * FROM printers WHERE id = ?", (printer_id,)).fetchone())
        with app.app_context():
            data = documents.job_bytes(db, app.config, "tag", {"item_ids": [item["id"]], "copies": 2}, printer)
        decoded = decode(data)
        found = decoded.qr_native if qr_mode == "native" else decoded.qr_from_images()
        assert found == [item["uri"], item["uri"]]
        assert decoded.cuts == 2
        assert "￥450.00" in [line.strip() for line in decoded.lines]
        assert "电子产品 iPhone 8 64GB 银色" in [line.strip() for line in decoded.lines]
        # the grade is named (a bare "· S" read as one), in the print language (Chinese unless set)
        assert f"{item['tag']} · 成色 B" in [line.strip() for line in decoded.lines]
        # each tag starts 5 mm under the cut: ESC J 40 before its first text
        feeds = [value for name, value in decoded.events if name == "feed"]
        assert feeds.count(40) == 2, feeds


def test_label_roll_feeds_to_next_label_instead_of_cutting(app, db, make_item):
    item = make_item()
    printer_id = _printer(db, tag_media="gap")
    printer = dict(db.execute("SELECT * FROM printers WHERE id = ?", (printer_id,)).fetchone())
    with app.app_context():
        decoded = decode(documents.job_bytes(db, app.config, "tag", {"item_ids": [item["id"]], "copies": 3}, printer))
    assert (decoded.cuts, decoded.label_feeds) == (0, 3)
    assert [value for name, value in decoded.events if name == "feed"].count(16) == 3  # 2 mm above each label


def test_tag_names_the_grade_in_the_print_language(app, db, make_item):
    item = make_item(title="Walkman", price_fen=1850)
    printer = dict(db.execute("SELECT * FROM printers WHERE id = ?", (_printer(db),)).fetchone())
    with app.app_context():
        data = documents.job_bytes(db, dict(app.config, PRINT_LOCALE="en"), "tag", {"item_ids": [item["id"]]}, printer)
    lines = [line.strip() for line in decode(data).lines]
    assert lines[:3] == ["￥18.50", "Walkman", f"{item['tag']} · Grade B"]


def test_report_rows_right_aligned_and_nothing_overflows(app, db):
    printer_id = _printer(db, profile="TM-T88V")
    printer = dict(db.execute("SELECT * FROM printers WHERE id = ?", (printer_id,)).fetchone())
    rows = [["现金 Cash", "¥1,234.50"], ["微信支付 WeChat Pay", "¥88.00"], ["-", ""],
            ["一个非常非常长的说明文字，会自动换行，不会超出纸张的宽度范围 and more words", "¥1.00"]]
    with app.app_context():
        decoded = decode(documents.job_bytes(db, app.config, "report",
                                        {"title": "日结 Z 报表 7", "rows": rows, "footer": "谢谢"}, printer))
    width = 512 // 12
    assert all(layout.text_cols(line) <= width for line in decoded.lines)
    assert any(line.startswith("现金 Cash") and line.endswith("￥1,234.50") and layout.text_cols(line) == width
               for line in decoded.lines)
    assert decoded.lines.count("-" * width) == 3


@pytest.mark.parametrize("text,cols", [
    ("旧书《围城》，二手市场。（全角标点）", 10),
    ("Mixed 混合 Latin 与中文 line, wrapped by display width", 12),
    ("Supercalifragilisticexpialidocious", 8),
    ("￥12.50 “引号” — 破折号 · 间隔号", 9),
])
def test_wrap_never_exceeds_width_and_keeps_every_character(text, cols):
    lines = layout.wrap(text, cols)
    assert all(layout.text_cols(line) <= cols for line in lines)
    assert "".join(lines).replace(" ", "") == layout.clean(text).replace(" ", "")
    assert not any(line.startswith(("，", "。", "）")) for line in lines)


def test_missing_font_is_a_clear_error_naming_the_path(app, db, sale):
    printer_id = _printer(db, chinese_mode="bitmap")
    printer = dict(db.execute("SELECT * FROM printers WHERE id = ?", (printer_id,)).fetchone())
    app.config["PRINT_FONT"] = "/nonexistent/font.ttc"
    with app.app_context():
        with pytest.raises(render.FontMissing) as caught:
            documents.job_bytes(db, app.config, "receipt", {"sale_id": sale["id"]}, printer)
    assert "/nonexistent/font.ttc" in str(caught.value)
    job_id = jobs.enqueue(db, "receipt", {"sale_id": sale["id"]}, printer_id=printer_id)
    with app.app_context():
        worker.run_once(db, app.config)
    job = jobs.get_job(db, job_id)
    assert job["status"] == "failed" and "/nonexistent/font.ttc" in job["last_error"]

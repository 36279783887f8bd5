"""Render the sample PNGs in this folder from the real layout code (same as what printers receive).

    python docs/samples/render_samples.py

Writes receipt-58mm-zh.png (POS-5890, 384 dots), receipt-80mm.png (TM-T20II, 576 dots), tag-58mm.png,
tag-label-gap.png and test-page-80mm.png.
"""

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

OUT = Path(__file__).resolve().parent


def main():
    from app import create_app
    from core.db import connect, transaction
    from core.settings import get_setting, set_setting
    from inventory import consignors, items
    from pos import cart as carts
    from pos import sales
    from printing import documents, printers
    from staff import accounts

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "BACKGROUND_WORKERS": False,
                          "RESOLVER_BASE": "https://shop.example.cn", "SECRET_KEY": "sample"})
        db = connect(app.config["DATABASE"])
        with transaction(db):
            set_setting(db, "shop_name", "旧物新生 二手小铺")
            set_setting(db, "shop_address", "上海市静安区 某某路 88 号 · 周末市集 12 号摊")
            set_setting(db, "receipt_footer", "谢谢惠顾！7 天内凭小票可退换。Thank you!")
        owner = accounts.create_staff(db, "Olga", "owner", "1234")
        consignor = consignors.create_consignor(db, app.extensions["vault"], number="A17", name="张伟",
                                                phone="13812345678", split_bps=6000, consent=True)
        cats = get_setting(db, "categories")
        made = [
            items.intake(db, app.config, title="旧书《围城》钱钟书 1991年 人民文学出版社 第一版", category=cats[1],
                         condition="B", price_fen=1800, consignor_id=consignor, staff_id=owner),
            items.intake(db, app.config, title="Levi's 501 牛仔裤 W32 L34", category=cats[0], condition="A",
                         price_fen=12000, consignor_id=consignor, staff_id=owner),
            items.intake(db, app.config, title="搪瓷杯（红双喜）", category=cats[3], condition="C", price_fen=2550,
                         staff_id=owner),
        ]
        cart_id = carts.new_cart(db, owner)
        for item in made:
            carts.add_item(db, cart_id, item["id"])
        line_id = db.execute("SELECT id FROM cart_lines ORDER BY id").fetchone()[0]
        carts.set_discount(db, cart_id, line_id, amount_fen=300, role="owner")
        sale = sales.complete_sale(db, app.config, cart_id=cart_id, idempotency_key="sample",
                                   entries=[{"kind": "wechat", "amount_fen": 5000, "reference": "4200001234"},
                                            {"kind": "cash", "amount_fen": 20000}])
        base = {"connection": "dummy", "chinese_mode": "bitmap", "qr_mode": "bitmap", "raster": "gsv0",
                "for_receipts": True, "for_tags": True, "enabled": True}
        p58 = printers.get_printer(db, printers.save_printer(db, dict(base, name="58", profile="POS-5890")))
        p80 = printers.get_printer(db, printers.save_printer(db, dict(base, name="柜台 80 mm", profile="TM-T20II")))
        label = printers.get_printer(db, printers.save_printer(db, dict(base, name="label", profile="POS-5890",
                                                                         tag_media="gap")))
        with app.app_context():
            samples = {
                "receipt-58mm-zh.png": ("receipt", {"sale_id": sale["id"], "reprint": True}, p58),
                "receipt-80mm.png": ("receipt", {"sale_id": sale["id"], "reprint": True}, p80),
                "tag-58mm.png": ("tag", {"item_ids": [made[0]["id"]], "copies": 1}, p58),
                "tag-label-gap.png": ("tag", {"item_ids": [made[2]["id"]], "copies": 1}, label),
                "test-page-80mm.png": ("test", {}, p80),
            }
            for name, (kind, payload, printer) in samples.items():
                (OUT / name).write_bytes(documents.preview_png(db, app.config, kind, payload, printer))
                print(OUT / name)
        db.close()


if __name__ == "__main__":
    main()

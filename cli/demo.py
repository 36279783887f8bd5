"""Demo data a newcomer can click through: a shop, two staff, three consignors, items and a few sales.

PINs: owner 1234, cashier 0000 (shown on the login page while the demo flag is set).
"""

import uuid

from core.db import connect, transaction
from core.settings import get_setting, set_setting
from inventory import consignors, items
from pos import cart, sales
from staff import accounts

DEMO_PINS = {"owner": "1234", "cashier": "0000"}

ITEMS = [
    # (consignor number or None, title, category index, condition, brand, price fen)
    ("A1", "旧书《围城》1991年版", 1, "B", "人民文学出版社", 1800),
    ("A1", "旧书 鲁迅全集 第三卷", 1, "C", "", 2500),
    ("A1", "Levi's 501 牛仔裤 W32", 0, "A", "Levi's", 12000),
    ("A2", "iPhone 8 64GB 银色", 2, "B", "Apple", 45000),
    ("A2", "Sony Walkman WM-EX5", 2, "C", "Sony", 38000),
    ("A2", "搪瓷杯 红双喜", 3, "B", "", 3500),
    ("B7", "乐高 城市系列 60150", 4, "A", "LEGO", 9900),
    ("B7", "Vintage denim jacket", 0, "B", "Lee", 16800),
    ("B7", "邮票 1980 猴票 复制品", 5, "A", "", 5000),
    (None, "木质小板凳", 3, "C", "", 2000),
    (None, "Nikon FM2 film camera body", 2, "B", "Nikon", 168000),
    (None, "老式收音机 红灯牌", 5, "D", "红灯", 8800),
]


#: what makes an instance a shop: demo data never goes where any of these has a row
SHOP_TABLES = ("staff", "consignors", "items", "sales")


def is_empty(db):
    """True when the instance holds no shop: no staff, consignors, items or sales (settings do not count)."""
    return not any(db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() for table in SHOP_TABLES)


def load_demo(app):
    """Fill an empty instance (:func:`is_empty`) with demo data. Does nothing, writing nothing, if it holds any
    staff member, consignor, item or sale: demo data is never mixed into a shop.

    Returns:
        bool: True when data was loaded.
    """
    db = connect(app.config["DATABASE"])
    try:
        if not is_empty(db):
            return False
        with transaction(db):
            set_setting(db, "shop_name", "旧物小铺 Demo Stall")
            set_setting(db, "demo", True)
        owner = accounts.create_staff(db, "店主 Owner", "owner", DEMO_PINS["owner"])
        accounts.create_staff(db, "收银 Cashier", "cashier", DEMO_PINS["cashier"])
        vault = app.extensions["vault"]
        ids = {
            "A1": consignors.create_consignor(db, vault, number="A1", name="张伟", phone="13812345678",
                                              split_bps=6000, consent=True),
            "A2": consignors.create_consignor(db, vault, number="A2", name="Li Na", phone="13998765432",
                                              split_bps=5000, consent=True),
            "B7": consignors.create_consignor(db, vault, number="B7", name="王芳", phone="",
                                              split_bps=7000, consent=True),
        }
        categories = get_setting(db, "categories")
        made = []
        for number, title, cat, cond, brand, price in ITEMS:
            made.append(items.intake(db, app.config, title=title, category=categories[cat], condition=cond,
                                     brand=brand, price_fen=price, consignor_id=ids.get(number), staff_id=owner))
        # two sales so reports and the consignor balance are not empty
        for picks, entries in (([1], [{"kind": "cash", "amount_fen": 5000}]),
                               ([6, 9], [{"kind": "wechat", "amount_fen": 11900, "reference": "4201"}])):
            cart_id = cart.new_cart(db, owner)
            for index in picks:
                cart.add_item(db, cart_id, made[index]["id"])
            sales.complete_sale(db, app.config, cart_id=cart_id, entries=entries, idempotency_key=uuid.uuid4().hex,
                                staff_id=owner)
        return True
    finally:
        db.close()

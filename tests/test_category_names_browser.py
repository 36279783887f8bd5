"""Issue 11 §4/§10 in Chromium: the owner names a category in Chinese and in English on the settings page (on a
phone too, each name labelled); intake and the item list show each page its own language while items keep the
category's key; a name given twice in one language is refused beside the table and nothing is saved."""

import pytest

from core.db import connect
from core.settings import get_setting
from tests.browser import login

pytestmark = pytest.mark.browser


def _settings(live_server, key):
    db = connect(live_server.app.config["DATABASE"])
    try:
        return get_setting(db, key)
    finally:
        db.close()


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_the_owner_names_a_category_per_language(live_server, new_page, width, height):
    base = live_server.url
    page = new_page(width, height, "en")
    login(page, base, "Olga", live_server.pins["owner"])
    page.goto(f"{base}/settings")
    books = page.locator("#category-table tr[data-category='书籍 Books']")
    assert books.locator("input[name=cat_zh_CN]").input_value() == "书籍"
    assert books.locator("input[name=cat_en]").input_value() == "Books"
    box = books.locator("input[name=cat_en]").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width  # no sideways scroll on a phone
    books.locator("input[name=cat_zh_CN]").fill("书刊")
    books.locator("input[name=cat_en]").fill("Books and magazines")
    new = page.locator("#category-table tr:not([data-category])").nth(1)  # the first empty row (0 is the heads)
    new.locator("input[name=cat_zh_CN]").fill("黑胶唱片")
    new.locator("input[name=cat_en]").fill("Vinyl records")
    page.locator(".settings-save button").click()
    page.locator(".flash.success").wait_for()
    assert _settings(live_server, "categories")[-1] == "黑胶唱片 Vinyl records"
    assert _settings(live_server, "category_names")["书籍 Books"] == {"zh_CN": "书刊", "en": "Books and magazines"}
    # intake offers the English names on an English page, the stored value is the key
    page.goto(f"{base}/intake")
    chip = page.locator(".chips label:has(input[value='书籍 Books'])")
    assert chip.inner_text().strip() == "Books and magazines"
    assert page.locator(".chips label:has(input[value='黑胶唱片 Vinyl records'])").inner_text().strip() == \
        "Vinyl records"
    # the Chinese page: Chinese names
    page.goto(f"{base}/lang/zh_CN?next=/intake")
    page.goto(f"{base}/intake")
    assert page.locator(".chips label:has(input[value='书籍 Books'])").inner_text().strip() == "书刊"
    # twice the same English name: refused beside the table, nothing saved
    page.goto(f"{base}/settings")
    toys = page.locator("#category-table tr[data-category='玩具 Toys']")
    toys.locator("input[name=cat_en]").fill("vinyl records")
    page.locator(".settings-save button").click()
    error = page.locator("#error-categories")
    error.wait_for()
    assert error.inner_text().strip() == "“Vinyl records”在列表中出现了两次。"  # the page is Chinese now
    table = page.locator("#category-table").bounding_box()
    assert 0 <= error.bounding_box()["y"] - (table["y"] + table["height"]) < 60
    assert _settings(live_server, "category_names")["玩具 Toys"] == {"zh_CN": "玩具", "en": "Toys"}

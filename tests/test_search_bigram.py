"""2-character search through the items_bigram index (inventory migration m002) finds what LIKE finds."""

import random

from core.db import transaction
from inventory import items


def ids(found):
    return sorted(item["id"] for item in found)


def like_ids(db, term):
    like = f"%{term}%"
    return sorted(r[0] for r in db.execute(
        "SELECT id FROM items WHERE title LIKE ? OR brand LIKE ? OR category LIKE ?", (like, like, like)))


def test_two_character_queries_match_like(db, make_item):
    rng = random.Random(5)
    words = ["旧书", "围城", "相机", "Sony", "TV", "walkman", "搪瓷杯", "LEGO", "60150", "红双喜", "Lee", "牛仔"]
    for _ in range(120):
        make_item(title=" ".join(rng.sample(words, 3)), brand=rng.choice(["", "Sony", "人民文学", "Lee"]),
                  price_fen=rng.randint(1, 999) * 100)
    queries = {"旧书", "tv", "TV", "So", "ee", "瓷杯", "01", "红双", "文学", "书籍", "xx", "猴票", "城 相", "ma"}
    for word in words:  # every 2-character piece of every word
        queries.update(word[i:i + 2] for i in range(len(word) - 1))
    for query in sorted(queries):
        found = items.search(db, query, limit=1000)
        expected = sorted(set.intersection(*(set(like_ids(db, t)) for t in query.split())))
        assert ids(found) == expected, query


def test_bigram_index_follows_title_changes(db, make_item):
    item = make_item(title="旧书 围城")
    assert ids(items.search(db, "围城")) == [item["id"]]
    with transaction(db):
        db.execute("UPDATE items SET title = '老式 收音机' WHERE id = ?", (item["id"],))
    assert items.search(db, "围城") == []
    assert ids(items.search(db, "收音")) == [item["id"]]
    with transaction(db):
        db.execute("DELETE FROM item_events WHERE item_id = ?", (item["id"],))
        db.execute("DELETE FROM item_terms WHERE item_id = ?", (item["id"],))
        db.execute("DELETE FROM outbox")
        db.execute("DELETE FROM items WHERE id = ?", (item["id"],))
    assert items.search(db, "收音") == []


def test_one_character_and_punctuation_still_search(db, make_item):
    item = make_item(title="《围城》 1991")
    assert ids(items.search(db, "城")) == [item["id"]]
    assert ids(items.search(db, "《围")) == [item["id"]]
    assert ids(items.search(db, "围城 1991")) == [item["id"]]

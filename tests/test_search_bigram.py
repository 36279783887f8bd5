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


def _plan(db, query, **filters):
    """The SQL ``items.search`` runs for ``query`` and SQLite's plan of it (EXPLAIN QUERY PLAN details)."""
    seen = []
    db.conn.set_trace_callback(seen.append)
    try:
        found = items.search(db, query, limit=3, **filters)
    finally:
        db.conn.set_trace_callback(None)
    sql = next(s for s in seen if s.startswith("SELECT i.*"))  # FTS5's own statements are traced too
    return found, [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)]


def test_a_page_of_results_is_read_newest_first_from_the_index_not_collected_and_sorted(db, make_item):
    made = [make_item(title=f"旧书 围城 walkman {n}", price_fen=100 + n) for n in range(8)]
    make_item(title="茶壶 teapot")
    newest = [item["id"] for item in made[::-1]]
    for query, index in (("旧书", "items_bigram"), ("walkman", "items_fts"), ("旧书 walkman", "items_bigram"),
                         ("walkman 旧书", "items_fts")):
        found, plan = _plan(db, query)
        assert [item["id"] for item in found] == newest[:3], query
        # the index is the outer loop (its rowids descending), items are looked up by id; no list of every
        # match (``LIST SUBQUERY`` as the outer loop) and no sort of them (``TEMP B-TREE``)
        assert plan[0].startswith(f"SCAN {index} VIRTUAL TABLE"), (query, plan)
        assert any(step.startswith("SEARCH i USING INTEGER PRIMARY KEY") for step in plan), (query, plan)
        assert not any("TEMP B-TREE" in step for step in plan), (query, plan)
    found, plan = _plan(db, "旧书", status="available")
    assert [item["id"] for item in found] == newest[:3] and plan[0].startswith("SCAN items_bigram")
    second_page = items.search(db, "旧书", limit=3, offset=3)
    assert [item["id"] for item in second_page] == newest[3:6]

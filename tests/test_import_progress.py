"""The market-day CSV import shows how far it has come and the line it is on (issue 11 §6): the import reports
each line as it checks and takes it in, the page polls that under a random key, and in Chromium the form shows
the figures while the answer is still on its way."""

import io
import re
import time
import uuid
from datetime import date

import pytest

from consignment import market
from consignment.market import ImportErrors
from core import progress
from inventory import items
from tests.browser import login
from tests.test_consignment_more import csv_bytes

ROWS = "".join(f"M{1 + i % 3},王小明{i % 3},旧书 {i},书籍,{10 + i},B\n" for i in range(7))


def test_the_import_reports_every_line_it_checks_and_takes_in(app, db, staff):
    seen = []
    result = market.import_csv(db, app.extensions["vault"], app.config, csv_bytes(ROWS), market_day=date(2026, 10, 1),
                               progress=lambda **values: seen.append(values))
    assert result["items"] == 7
    assert [v["line"] for v in seen if v["phase"] == "checking"] == [2, 3, 4, 5, 6, 7, 8]
    assert [(v["line"], v["done"], v["total"]) for v in seen if v["phase"] == "importing"] == [
        (line, line - 1, 7) for line in range(2, 9)]
    assert seen[-1] == {"phase": "done", "line": 8, "done": 7, "total": 7}


def test_a_refused_file_reports_refused(app, db, staff):
    seen = []
    with pytest.raises(ImportErrors):
        market.import_csv(db, app.extensions["vault"], app.config, csv_bytes("M1,王,书,书籍,-3,B\n"),
                          market_day=date(2026, 10, 1), progress=lambda **values: seen.append(values))
    assert seen[-1] == {"phase": "refused", "errors": 1}


def test_the_page_polls_the_progress_of_its_own_import(app, db, staff, owner_client, cashier_client):
    key = uuid.uuid4().hex
    page = owner_client.get("/consignment/market").get_data(as_text=True)
    assert 'name="progress_key"' in page and "data-progress=" in page
    assert owner_client.get(f"/consignment/market/import/{key}/progress").status_code == 404  # not started
    answer = owner_client.post("/consignment/market", data={
        "day": "2026-10-01", "progress_key": key, "file": (io.BytesIO(csv_bytes(ROWS)), "items.csv")},
        content_type="multipart/form-data")
    assert answer.status_code == 200
    polled = owner_client.get(f"/consignment/market/import/{key}/progress")
    assert polled.get_json() == {"phase": "done", "line": 8, "done": 7, "total": 7}
    # another staff member does not see it; a malformed key never makes an entry
    assert cashier_client.get(f"/consignment/market/import/{key}/progress").status_code == 404
    progress.update("../../x", phase="done")
    assert progress.get("../../x") is None


def test_chromium_shows_the_line_while_the_import_runs(live_server, new_page, tmp_path, monkeypatch):
    real_intake = items.intake

    def unhurried_intake(*args, **kwargs):  # the real intake, at the pace of a busy hub (the page polls meanwhile)
        time.sleep(0.4)
        return real_intake(*args, **kwargs)

    monkeypatch.setattr(items, "intake", unhurried_intake)
    page = new_page(1280, 800, "en")
    login(page, live_server.url, "Olga", live_server.pins["owner"])
    page.goto(f"{live_server.url}/consignment/market")
    upload = tmp_path / "items.csv"
    upload.write_bytes(csv_bytes(ROWS))
    page.set_input_files("#file", str(upload))
    # while the form's answer is pending Playwright cannot read the old page, so the page itself notes every
    # text the progress line shows, in sessionStorage, which outlives the navigation
    page.evaluate("""() => {
        const out = document.querySelector('[data-progress-text]');
        new MutationObserver(() => {
            const seen = JSON.parse(sessionStorage.getItem('progress-seen') || '[]');
            seen.push(out.textContent);
            sessionStorage.setItem('progress-seen', JSON.stringify(seen));
        }).observe(out, {childList: true, characterData: true, subtree: true});
    }""")
    page.click("form[data-progress] button[type=submit]")
    page.wait_for_selector("text=Imported 7 items", timeout=30000)
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('progress-seen') || '[]')")
    assert seen[0] == "Uploading the file…"
    # what follows is the line being checked (quick) or taken in, then perhaps the end
    shapes = [re.fullmatch(r"Checking line \d+…|Taking in line (\d+): item (\d+) of 7|All 7 items taken in\.", text)
              for text in seen[1:]]
    assert all(shapes), seen
    taking = [m for m in shapes if m.group(1)]
    assert taking, seen  # at 0.4 s an item and a poll every 0.5 s, the page showed a line being taken in
    assert all(int(m.group(1)) == int(m.group(2)) + 1 and int(m.group(2)) <= 7 for m in taking)

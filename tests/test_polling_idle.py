"""Status badges poll every few seconds; those polls must not keep an unattended tablet logged in."""

from datetime import timedelta

import pytest

from core import clock


@pytest.mark.parametrize("url", ["/printing/badge", "/sync/badge"])
def test_badge_polls_do_not_count_as_activity(app, owner_client, url, staff):
    with owner_client.session_transaction() as session:
        session["last_seen"] = clock.iso(clock.now() - timedelta(minutes=29))
        before = session["last_seen"]
    assert owner_client.get(url, headers={"HX-Request": "true"}).status_code == 200
    with owner_client.session_transaction() as session:
        assert session["last_seen"] == before
    with owner_client.session_transaction() as session:
        session["last_seen"] = clock.iso(clock.now() - timedelta(minutes=31))
    response = owner_client.get(url, headers={"HX-Request": "true"})
    assert response.headers.get("HX-Redirect", "").startswith("/login")

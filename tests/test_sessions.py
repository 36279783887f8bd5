"""Sessions end on the server (issue 9 §4): a copy of the session cookie stops working after logout, idle
expiry, a PIN change and removing the staff member; the cookie is Secure over TLS, HttpOnly, SameSite=Lax."""

import hashlib
from datetime import timedelta

from core import clock
from staff import accounts, sessions
from tests.conftest import CASHIER_PIN, OWNER_PIN, login, text_of


def logged_in(app, staff_id, pin):
    client = app.test_client()
    assert login(client, staff_id, pin).status_code == 302
    return client


def copy_of(app, client):
    """Another browser holding the same session cookie (what an attacker would replay)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def is_in(client):
    return client.get("/till").status_code == 200


def test_a_copied_cookie_stops_working_after_logout(app, staff, db):
    client = logged_in(app, staff["owner"], OWNER_PIN)
    stolen = copy_of(app, client)
    assert is_in(stolen)  # the copy works while the session is open
    assert client.post("/logout").status_code == 302
    assert not is_in(client)
    replay = stolen.get("/till")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/login")
    assert stolen.post("/staff", data={"name": "Eve", "role": "owner", "pin": "1111"}).status_code == 302
    assert db.execute("SELECT count(*) FROM staff WHERE name = 'Eve'").fetchone()[0] == 0
    assert [tuple(r) for r in db.execute("SELECT staff_id, end_reason FROM staff_sessions")] == [
        (staff["owner"], "logout")]


def test_logging_in_over_a_session_ends_the_previous_one(app, staff):
    tablet = logged_in(app, staff["owner"], OWNER_PIN)
    stolen = copy_of(app, tablet)
    assert login(tablet, staff["cashier"], CASHIER_PIN).status_code == 302  # the next person, no logout
    assert is_in(tablet) and tablet.get("/staff").status_code == 403  # now the cashier's
    assert not is_in(stolen)  # the owner's session is over


def test_the_cookie_holds_a_token_whose_hash_only_is_stored(app, staff, db):
    client = logged_in(app, staff["cashier"], CASHIER_PIN)
    with client.session_transaction() as session:
        token = session["sid"]
    assert len(token) >= 43
    stored = db.execute("SELECT token_hash FROM staff_sessions WHERE ended_at IS NULL").fetchone()[0]
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert db.execute("SELECT count(*) FROM staff_sessions WHERE token_hash = ?", (token,)).fetchone()[0] == 0
    # a forged token in a validly signed cookie gets nobody in
    with client.session_transaction() as session:
        session["sid"] = "forged-" + token[7:]
    assert not is_in(client)


def test_idle_expiry_ends_the_session_for_every_copy(app, staff, db):
    client = logged_in(app, staff["owner"], OWNER_PIN)
    stolen = copy_of(app, client)
    assert is_in(stolen)  # the copy is kept fresh by its user
    with client.session_transaction() as session:
        session["last_seen"] = clock.iso(clock.now() - timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"], seconds=5))
    assert not is_in(client)  # the tablet idled out: that ends the session on the server
    assert not is_in(stolen)
    assert db.execute("SELECT end_reason FROM staff_sessions").fetchone()[0] == "idle"


def test_changing_my_pin_ends_my_other_sessions_and_keeps_this_one(app, staff, db):
    tablet = logged_in(app, staff["cashier"], CASHIER_PIN)
    phone = logged_in(app, staff["cashier"], CASHIER_PIN)
    stolen = copy_of(app, tablet)
    page = tablet.get("/pin")
    assert page.status_code == 200 and "Change my PIN" in text_of(page)
    wrong = tablet.post("/pin", data={"current": "0000", "pin": "3579", "pin2": "3579"})
    assert wrong.status_code == 401 and "Wrong PIN. 4 tries left." in text_of(wrong)
    differ = tablet.post("/pin", data={"current": CASHIER_PIN, "pin": "3579", "pin2": "3578"})
    assert differ.status_code == 422 and "The two PINs differ." in text_of(differ)
    same = tablet.post("/pin", data={"current": CASHIER_PIN, "pin": CASHIER_PIN, "pin2": CASHIER_PIN})
    assert same.status_code == 422 and "Choose a PIN different from the current one." in text_of(same)
    short = tablet.post("/pin", data={"current": CASHIER_PIN, "pin": "12", "pin2": "12"})
    assert short.status_code == 422 and "A PIN is 4 to 8 digits." in text_of(short)
    assert is_in(phone) and is_in(stolen)  # nothing changed yet
    done = tablet.post("/pin", data={"current": CASHIER_PIN, "pin": "3579", "pin2": "3579"})
    assert done.status_code == 302 and done.headers["Location"] == "/till"
    assert "PIN changed. Other devices logged in as you are logged out." in text_of(tablet.get("/till"))
    assert not is_in(phone)
    assert not is_in(stolen)  # the old cookie of this very tablet too
    assert login(app.test_client(), staff["cashier"], CASHIER_PIN).status_code == 401
    assert login(app.test_client(), staff["cashier"], "3579").status_code == 302
    assert sessions.open_count(db, staff["cashier"]) == 2  # the tablet's fresh one and the login just above


def test_the_owner_sets_a_new_pin_and_the_cashiers_sessions_end(app, staff, db, owner_client):
    cashier = logged_in(app, staff["cashier"], CASHIER_PIN)
    bad = owner_client.post(f"/staff/{staff['cashier']}/pin", data={"pin": "12ab"})
    assert bad.status_code == 422 and "A PIN is 4 to 8 digits." in text_of(bad)
    assert is_in(cashier)
    assert cashier.post(f"/staff/{staff['cashier']}/pin", data={"pin": "2468"}).status_code == 403
    assert owner_client.post(f"/staff/{staff['cashier']}/pin", data={"pin": "2468"}).status_code == 302
    assert not is_in(cashier)
    assert login(app.test_client(), staff["cashier"], "2468").status_code == 302
    assert is_in(owner_client)


def test_removing_a_staff_member_ends_their_sessions_and_their_logins(app, staff, db, owner_client):
    cashier = logged_in(app, staff["cashier"], CASHIER_PIN)
    stolen = copy_of(app, cashier)
    assert cashier.post(f"/staff/{staff['owner']}/remove").status_code == 403
    response = owner_client.post(f"/staff/{staff['cashier']}/remove")
    assert response.status_code == 302
    assert "Staff member removed; their sessions have ended." in text_of(owner_client.get("/staff"))
    assert not is_in(cashier) and not is_in(stolen)
    assert "Carl Cashier" not in text_of(app.test_client().get("/login"))
    refused = login(app.test_client(), staff["cashier"], CASHIER_PIN)
    assert refused.status_code == 401 and "Choose who you are first." in text_of(refused)
    assert db.execute("SELECT active FROM staff WHERE id = ?", (staff["cashier"],)).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM sales").fetchone()[0] == 0  # nothing else touched


def test_the_last_owner_and_oneself_cannot_be_removed(app, staff, db, owner_client):
    self_removal = owner_client.post(f"/staff/{staff['owner']}/remove", follow_redirects=True)
    assert "You cannot remove yourself; another owner can." in text_of(self_removal)
    second = accounts.create_staff(db, "Otto Owner", "owner", "8642")
    other = logged_in(app, second, "8642")
    assert other.post(f"/staff/{staff['owner']}/remove").status_code == 302  # two owners: one may go
    last = owner_client  # now logged out: Olga was removed
    assert not is_in(last)
    third = accounts.create_staff(db, "Ola Owner", "owner", "1357")
    accounts.remove_staff(db, third, second)
    refused = other.post(f"/staff/{second}/remove", follow_redirects=True)
    assert "You cannot remove yourself; another owner can." in text_of(refused)
    with_cashier = logged_in(app, staff["cashier"], CASHIER_PIN)
    assert with_cashier.post(f"/staff/{second}/remove").status_code == 403
    try:
        accounts.remove_staff(db, second, staff["cashier"])
    except accounts.DomainError as exc:
        assert str(exc.message) == "The shop needs at least one owner."
    else:
        raise AssertionError("the last owner was removed")
    assert db.execute("SELECT count(*) FROM staff WHERE role = 'owner' AND active = 1").fetchone()[0] == 1


def test_removed_or_unknown_ids_get_a_message_not_an_error(owner_client):
    response = owner_client.post("/staff/987654/remove", follow_redirects=True)
    assert response.status_code == 200
    assert "This staff member does not exist or was removed." in text_of(response)
    assert owner_client.post("/staff/987654/pin", data={"pin": "2468"}).status_code == 404


def test_session_cookie_is_secure_over_tls_only_and_always_httponly_lax(app, staff):
    plain = login(app.test_client(), staff["owner"], OWNER_PIN).headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    tls_client = app.test_client()
    tls = tls_client.post("/login", data={"staff_id": staff["owner"], "pin": OWNER_PIN},
                          base_url="https://hub.example")
    cookie = tls.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    logout = tls_client.post("/logout", base_url="https://hub.example").headers["Set-Cookie"]
    assert "Secure" in logout
    app.config["SESSION_COOKIE_SECURE"] = True
    forced = login(app.test_client(), staff["owner"], OWNER_PIN).headers["Set-Cookie"]
    assert "Secure" in forced

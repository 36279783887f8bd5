"""The one form path: core.forms.submit, the tier-rows and count fields, CSRF on every POST, downloads."""

import re

import pytest
from wtforms import StringField
from wtforms.validators import DataRequired

from app import create_app
from core import clock
from core.db import connect
from core.errors import Conflict, DomainError
from core.forms import Form, field_errors, first_error, optional_int, submit, typed_values
from reports.csv_export import rows_csv
from staff import accounts
from terms import contracts
from tests.conftest import EnglishClient, text_of


class _Form(Form):
    name = StringField(validators=[DataRequired("Enter a name.")])


def _post(app, data):
    return app.test_request_context("/", method="POST", data=data)


def test_submit_runs_the_action_only_for_a_valid_form(app):
    calls = []
    with _post(app, {"name": ""}):
        form = _Form()
        outcome = submit(form, lambda: calls.append(1))
        assert (outcome.ok, outcome.status, calls) == (False, 422, [])
        assert first_error(form) == "Enter a name." and field_errors(form) == {"name": "Enter a name."}
    with _post(app, {"name": "Olga"}):
        outcome = submit(_Form(), lambda: "done")
        assert (outcome.ok, outcome.value, outcome.status) == (True, "done", 200)


@pytest.mark.parametrize("error, where, status", [
    (DomainError("Taken.", field="name"), "name", 422),   # its own field
    (DomainError("Bad."), "name", 422),                    # no field: the default field
    (Conflict("Sold meanwhile.", field="nope"), "name", 409),  # unknown field: the default; its own status
])
def test_submit_puts_a_domain_error_under_its_field(app, error, where, status):
    def action():
        raise error

    with _post(app, {"name": "Olga"}):
        form = _Form()
        outcome = submit(form, action, default_field="name")
        assert (outcome.ok, outcome.status) == (False, status)
        assert form[where].errors == [error.message]


def test_submit_without_default_field_gives_a_form_error(app):
    def action():
        raise DomainError("Whole form.")

    with _post(app, {"name": "Olga"}):
        form = _Form()
        assert submit(form, action).status == 422
        assert form.form_errors == ["Whole form."] and first_error(form) == "Whole form."
        assert typed_values(form).get("name") == "Olga"


def test_optional_int_reads_ids_like_type_int():
    assert [optional_int(v) for v in ("42", " 7 ", "", "x", "²", None, 5)] == [42, 7, None, None, None, None, 5]


def test_rows_csv_protects_formulas_and_formats_money():
    text = rows_csv(["title", "price"], [["=HYPERLINK(1)", 1250], ["ok", None]], ["text", "money"])
    assert text.splitlines() == ["\ufefftitle,price", "'=HYPERLINK(1),12.50", "ok,"]


def test_tier_row_that_is_not_money_is_a_field_error_and_kept(owner_client, consignor, db):
    response = owner_client.post(f"/consignment/contracts/{consignor}", data={
        "split_kind": "tiered", "split": "60", "period_days": "60", "grace_days": "7", "expiry_outcome": "return",
        "tier_from_0": "0", "tier_to_0": "abc", "tier_pct_0": "50"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<fieldset class="tiers has-error">', html) and "Tier 1:" in text_of(response)
    assert 'name="tier_to_0" value="abc"' in html
    assert contracts.own_contract(db, consignor) is None


def test_flat_contract_saves_no_tiers_even_when_the_default_has_some(owner_client, consignor, db):
    response = owner_client.post(f"/consignment/contracts/{consignor}", data={
        "split_kind": "flat", "split": "55", "period_days": "30", "grace_days": "7", "expiry_outcome": "return"})
    assert response.status_code == 302
    saved = contracts.own_contract(db, consignor)
    assert (saved["split_kind"], saved["split_bps"], saved["tiers"]) == ("flat", 5500, [])


def test_close_with_a_bad_denomination_shows_it_under_the_count(owner_client):
    assert owner_client.post("/shift/open", data={"float": "100"}).status_code == 302
    response = owner_client.post("/shift/close", data={"d10000": "1", "d500": "x", "counted": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<details open" in html and "whole number" in text_of(response)
    assert re.search(r'name="d10000"[^>]*value="1"', html) and re.search(r'name="d500"[^>]*value="x"', html)


def test_downloads_name_their_file(owner_client, consignor):
    pdf = owner_client.get(f"/consignment/statements/{consignor}.pdf?start=2026-01-01&end=2026-12-31")
    assert pdf.headers["Content-Disposition"].startswith("inline; filename=statement-A17-2026-01-01")
    assert pdf.headers["Cache-Control"] == "private, no-store"
    balances = owner_client.get("/consignment/balances?format=csv&at=2026-11-30")
    assert balances.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert balances.headers["Content-Disposition"] == "attachment; filename=consignor-balances-2026-11-30.csv"
    assert balances.data.decode("utf-8-sig").splitlines()[1] == "A17,0.00,0.00,0.00,"


def _example(argument):
    return {"int": "1", "string": "x", "path": "x", "default": "x"}.get(argument, "1")


def test_every_post_route_refuses_a_post_without_the_csrf_token(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True, "WTF_CSRF_ENABLED": True,
                      "BACKGROUND_WORKERS": False})
    app.test_client_class = EnglishClient
    db = connect(app.config["DATABASE"])
    owner = accounts.create_staff(db, "Olga Owner", "owner", "1234")
    db.close()
    client = app.test_client()
    with client.session_transaction() as session:
        session.update({"staff_id": owner, "last_seen": clock.iso()})
    checked = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        converters = {name: rule._converters[name].__class__.__name__.replace("Converter", "").lower()
                      for name in rule.arguments}
        url = rule.rule
        for name, kind in converters.items():
            url = re.sub(rf"<(?:[^:>]+:)?{name}>", _example(kind if kind != "unicode" else "string"), url)
        response = client.post(url, data={"x": "1"})
        assert response.status_code == 400, (rule.rule, response.status_code)
        assert "This form expired" in text_of(response), rule.rule
        checked.append(rule.endpoint)
    assert len(checked) >= 40, checked
    assert {"pos.complete", "shifts.close_shift", "refunds.refund_submit", "staff.login", "staff.setup",
            "printing.printer_form", "consignment.contract", "inventory.intake"} <= set(checked)

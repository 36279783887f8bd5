"""Issue 9 §5: every response of the hub carries the Content-Security-Policy and the other security headers
— pages, htmx fragments, JSON, files, redirects, error pages — walked over every route of ``app.url_map``."""

import re

import pytest
from werkzeug.routing import IntegerConverter

from tests.conftest import text_of

POLICY = re.compile(
    r"default-src 'self'; script-src 'self'; style-src 'self' 'nonce-([A-Za-z0-9_-]{22})'; img-src 'self'; "
    r"font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; "
    r"form-action 'self'; frame-ancestors 'none'")


def assert_secure(response, where):
    headers = response.headers
    match = POLICY.fullmatch(headers.get("Content-Security-Policy", ""))
    assert match, (where, headers.get("Content-Security-Policy"))
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff", where
    assert headers["X-Frame-Options"] == "DENY", where
    assert headers["Referrer-Policy"] == "same-origin", where
    assert headers["Permissions-Policy"].split(", ")[0] == "camera=(self)", where
    assert "microphone=()" in headers["Permissions-Policy"] and "geolocation=()" in headers["Permissions-Policy"]
    response.close()  # a file download keeps its file open until closed
    return match.group(1)


def example_urls(app, method):
    """Every rule answering ``method``, with a plausible value for each argument (an unknown id is a 404,
    which must carry the headers too)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if method not in rule.methods:
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            values[name] = 1 if isinstance(converter, IntegerConverter) else (
                "css/app.css" if rule.endpoint == "static" else "x")
        urls.append(rule.build(values)[1])
    return sorted(set(urls))


@pytest.fixture
def quiet_app(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # an unexpected 500 is answered (with headers), not raised
    return app


def test_every_get_route_answers_with_the_headers_for_owner_and_nobody(quiet_app, owner_client, make_item):
    make_item()
    urls = example_urls(quiet_app, "GET")
    assert len(urls) >= 55
    nonces = set()
    statuses = set()
    for client in (owner_client, quiet_app.test_client()):
        for url in urls:
            response = client.get(url)
            nonces.add(assert_secure(response, url))
            statuses.add(response.status_code)
            fragment = client.get(url, headers={"HX-Request": "true"})
            nonces.add(assert_secure(fragment, f"{url} (htmx)"))
    assert {200, 302, 404} <= statuses  # pages, the login redirect, and error pages were all checked
    assert len(nonces) == 4 * len(urls)  # a fresh nonce on every response


def test_every_post_route_answers_with_the_headers(quiet_app, owner_client):
    for url in example_urls(quiet_app, "POST"):
        if url in ("/logout", "/lock"):
            continue
        for client in (quiet_app.test_client(), owner_client):
            assert_secure(client.post(url, data={}), url)
            assert_secure(client.post(url, data={}, headers={"HX-Request": "true"}), f"{url} (htmx)")


def test_error_pages_and_refusals_carry_the_headers(quiet_app, owner_client, monkeypatch):
    from pos import views as pos_views

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(pos_views.sales, "complete_sale", broken)
    response = owner_client.post("/till/complete", data={"sale_key": "k", "kind": "cash", "amount": "1"})
    assert response.status_code == 500
    assert_secure(response, "500")
    assert_secure(owner_client.get("/healthz"), "json")
    assert_secure(owner_client.get("/static/vendor/htmx-2.0.11.min.js"), "static")
    quiet_app.config["WTF_CSRF_ENABLED"] = True
    refused = owner_client.post("/till/scan", data={"code": "x"}, headers={"HX-Request": "true"})
    assert refused.status_code == 400 and "This form expired" in text_of(refused)
    assert_secure(refused, "csrf")


def test_the_tag_sheet_styles_carry_this_responses_nonce(owner_client, make_item):
    ids = ",".join(str(make_item(title=f"Lamp {n}")["id"]) for n in range(3))
    response = owner_client.get(f"/tags/sheet?ids={ids}&stock=a4-3x8")
    html = response.get_data(as_text=True)
    nonce = assert_secure(response, "tag sheet")
    assert re.findall(r'<style nonce="([^"]+)">', html) == [nonce]
    places = re.findall(r"#label-1-\d+ \{ left: ([\d.]+)mm; top: ([\d.]+)mm; \}", html)
    assert places == [("0", "0.5"), ("70", "0.5"), ("140", "0.5")]  # three labels across the first row
    again = owner_client.get(f"/tags/sheet?ids={ids}")
    assert assert_secure(again, "tag sheet") != nonce


def test_no_template_writes_inline_script_handlers_or_styles():
    """The policy would block them in the browser; this says where, before a browser test runs."""
    from core.paths import package_dir

    offenders = []
    for path in sorted(package_dir("templates").rglob("*.html")):
        if path.parts[-2] == "registry":  # the registry is another app, not served under this policy
            continue
        text = path.read_text(encoding="utf-8")
        # a script is either a file or a JSON-LD data block (schema.org on the public page: never run)
        for pattern in (r'<script(?![^>]*\bsrc=)(?! type="application/ld\+json">)[^>]*>', r"\son[a-z]+\s*=",
                        r"\shx-on", r"\sstyle\s*=",
                        r"<style(?![^>]*nonce=)[^>]*>", r"javascript:"):
            offenders += [f"{path.name}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert offenders == []


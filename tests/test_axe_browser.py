"""Issue 11 §9: axe-core finds no critical or serious accessibility problem on any page.

axe-core (vendored from npm under ``tests/vendor/axe-core``; see its README there) runs in Chromium on
every HTML page of the hub that answers a GET (the same walk of ``app.url_map`` as the CSP test, so a new
page is checked without editing this test) as the owner, and on the public pages without a session, at
1280×800 and at 800×1280. The context bypasses the page's Content-Security-Policy only so that the test
can inject axe; the policy itself is the CSP test's business.

A finding names the rule, its impact, the page and the first offending elements, so the failure says
what to fix.
"""

from pathlib import Path

import pytest

from pos import sales
from tests.browser import OWNER_PIN, login
from tests.test_csp_browser import html_pages, shop, urls_for  # noqa: F401  (shop is a fixture)

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
#: impacts that fail the test (axe's scale: minor, moderate, serious, critical)
FAILING = {"serious", "critical"}
VIEWPORTS = [(1280, 800), (800, 1280)]


def axe_findings(page):
    """Run axe on the page as it is now; returns ``[(rule id, impact, help, [targets])]`` of the failing
    impacts."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => [v.id, v.impact, v.help, v.nodes.slice(0, 3).map(n => n.target.join(' '))]);
    }""")
    return [tuple(finding) for finding in result if finding[1] in FAILING]


def check(page, base, url, problems):
    """Visit ``url`` and add axe's findings to ``problems``. An htmx fragment (no doctype: a badge, a print
    status, a tender row) is not a document of its own; it is checked inside the page that shows it."""
    page.goto(base + url, wait_until="networkidle")
    if not page.evaluate("document.doctype !== null"):
        return False
    for rule, impact, help_text, targets in axe_findings(page):
        problems.append(f"{url}: {impact} {rule} ({help_text}) at {targets}")
    return True


@pytest.mark.parametrize("theme", [None, "contrast"])
@pytest.mark.parametrize("width,height", VIEWPORTS)
def test_no_serious_accessibility_findings_on_any_page(shop, browser, width, height, theme):  # noqa: F811
    """Every page, in the default screen and in the high-contrast outdoor one (kept in ``localStorage`` like
    the switch keeps it)."""
    base = shop.url
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", bypass_csp=True)
    if theme:
        context.add_init_script(f"try {{ localStorage.setItem('resale-theme', '{theme}'); }} catch (e) {{}}")
    context.set_default_timeout(15_000)
    problems = []
    try:
        page = context.new_page()
        with shop.app.test_request_context():
            token = sales.receipt_token(shop.app.config["SECRET_KEY"], shop.data["receipt_no"])
        for url in ("/login", f"/i/{shop.data['tag']}", f"/r/{shop.data['receipt_no']}?k={token}"):
            check(page, base, url, problems)
        login(page, base, "Olga", OWNER_PIN)
        pages = html_pages(context, base, urls_for(shop.app, shop.data))
        assert len(pages) >= 45, pages
        documents = sum(check(page, base, url, problems) for url, _status in pages)
        assert documents >= 40, documents
        # the till with a line in the cart, and the payment step
        page.goto(base + "/till", wait_until="networkidle")
        page.fill("#scan", shop.data["tag"])
        page.press("#scan", "Enter")
        page.locator("#till", has_text=shop.data["tag"]).wait_for()
        for rule, impact, help_text, targets in axe_findings(page):
            problems.append(f"/till (one line): {impact} {rule} ({help_text}) at {targets}")
    finally:
        context.close()
    assert problems == [], f"{len(problems)} findings:\n" + "\n".join(problems)

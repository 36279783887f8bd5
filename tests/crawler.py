"""A fuzzing crawler: it logs in, finds every form and URL the hub offers, and sends hostile values to each.

Nothing here knows the hub's routes. Forms are read from the rendered pages (``<form>`` with its inputs,
selects, textareas, hidden fields and submit buttons, and elements carrying ``hx-post`` / ``hx-get``),
URL rules and their parameters from the URL rules it is given (``app.url_map`` in tests), query-string
parameters from links and GET forms. So a new route or form is crawled without editing this file.

CSRF stays on: the crawler posts the token the page rendered (``csrf_token`` inputs, and the
``X-CSRFToken`` of ``<body hx-headers>`` for htmx requests), as a browser would.

Used by ``tests/test_crawler_fuzz.py`` through the Flask test client, and against a running hub over HTTP::

    python -m tests.crawler http://127.0.0.1:8000 --staff 1 --pin 1234 --budget 1500

The request budget and the seed fix how many requests are sent and which, so a run is repeatable.
"""

import argparse
import io
import json
import random
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

#: Hostile values by kind. The first group (``CORE``) is sent to every field; the rest fill the budget at random.
CORE = {
    "long": "长" * 2000 + "x" * 3000,
    "cjk": "旧书《围城》钱锺书 测试",
    "nul": "a\x00b",
    "control": "\x01\x02\x1b[2J\x7f\x08\x0b\x0c",
    "zero-width/bidi": "a\u200bb\u200c\u200d\ufeff\u2060\u202eevil\u202c\u2066x\u2069",
    "negative": "-1",
    "huge": "99999999999999999999999999",
    "non-integer": "x1",
    "float": "1.5",
}
EXTRA = {
    "empty": "",
    "blank": "  \t ",
    "zero": "0",
    "int64": str(2**63 - 1),
    "int64+1": str(2**63),
    "negative huge": "-99999999999999999999",
    "exponent": "1e309",
    "nan": "NaN",
    "hex": "0x1F",
    "superscript": "²",
    "full-width": "１２３．４",
    "point five": ".5",
    "newline": "x\r\ny\nz",
    "html": "<script>alert(1)</script>",
    "sql": "' OR 1=1; --",
    "format": "%s%(x)s{0}{{7*7}}",
    "path": "../../../etc/passwd",
    "json": '{"a": [1]}',
    "emoji": "\U0001f642\U0001f3f3\ufe0f\u200d\U0001f308",
    "date": "2026-13-45",
    "url": "//evil.example/x",
    "very long": "A" * 100_000,
}
#: Values put in place of a URL rule's converter, by converter kind.
URL_VALUES = {
    "int": ["0", "987654321", str(2**63 - 1), str(2**63), "-1", "1.5", "x"],
    "any": ["x", "..", "%00", "%E2%80%AE", "旧书", "a" * 300, "%3Cscript%3E", "nothing.csv"],
}
ERROR_TEXT = ("Traceback (most recent call last)",)


@dataclass
class Input:
    """One named control of a form: ``kind`` (the input type, ``select``, ``textarea``, ``submit``…),
    ``options`` (the values a select, radio or checkbox offers; the value of others) and ``default``
    (the values a browser sends as rendered)."""

    name: str
    kind: str
    options: list = field(default_factory=list)
    default: list = field(default_factory=list)


@dataclass
class Form:
    """A form or an htmx request found on a page: ``method``, ``action`` (a path with query), its inputs."""

    method: str
    action: str
    inputs: dict = field(default_factory=dict)
    htmx: bool = False
    multipart: bool = False
    page: str = ""

    def add(self, control):
        known = self.inputs.get(control.name)
        if known is None:
            self.inputs[control.name] = control
            return
        known.options += [o for o in control.options if o not in known.options]
        known.default += control.default
        if known.kind != control.kind and control.kind not in ("submit", "hidden"):
            known.kind = control.kind

    def signature(self):
        return (self.method, path_shape(self.action), tuple(sorted(self.inputs)))

    def baseline(self):
        """What a browser would send: ``[(name, value)]``."""
        pairs = []
        for control in self.inputs.values():
            if control.kind == "file":
                continue
            if control.kind == "submit":
                pairs += [(control.name, control.default[0])] if control.default else []
                continue
            pairs += [(control.name, value) for value in control.default]
        return pairs


def path_shape(url):
    """A URL's path with every number replaced by ``N`` (``/items/17`` → ``/items/N``): pages of one kind."""
    return re.sub(r"\d+", "N", urlsplit(url).path)


class PageParser(HTMLParser):
    """Collects the forms, htmx triggers, links and CSRF token of one HTML page."""

    def __init__(self, url):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.forms, self.links, self.csrf = [], [], None
        self._form = None
        self._by_id, self._orphans, self._triggers = {}, [], []
        self._select = self._option = self._textarea = None
        self._text = []

    def _resolve(self, url):
        return urljoin(self.url, url or self.url)

    def _hx(self, attrs):
        for verb in ("post", "get", "put", "patch", "delete"):
            if attrs.get(f"hx-{verb}") is not None:
                return verb.upper(), self._resolve(attrs[f"hx-{verb}"])
        return None

    def _owner(self, attrs):
        if attrs.get("form"):
            return self._by_id.get(attrs["form"]) or self._orphans.append((attrs["form"], attrs)) or None
        return self._form

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "body" and attrs.get("hx-headers"):
            try:
                self.csrf = json.loads(attrs["hx-headers"]).get("X-CSRFToken") or self.csrf
            except ValueError:
                pass
        if tag == "a" and attrs.get("href"):
            self.links.append(self._resolve(attrs["href"]))
        hx = self._hx(attrs)
        if tag == "form":
            method, action = hx or (attrs.get("method", "get").upper(), self._resolve(attrs.get("action")))
            self._form = Form(method, action, htmx=hx is not None, page=self.url,
                              multipart="multipart" in attrs.get("enctype", ""))
            self.forms.append(self._form)
            if attrs.get("id"):
                self._by_id[attrs["id"]] = self._form
            return
        if hx and tag != "form":
            self._trigger(tag, attrs, *hx)
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            name = attrs.get("name")
            if kind == "hidden" and name == "csrf_token":
                self.csrf = self.csrf or attrs.get("value")
            if not name or kind in ("button", "reset", "image"):
                return
            value = attrs.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio"):
                control = Input(name, kind, [value], [value] if "checked" in attrs else [])
            else:
                control = Input(name, kind, [value], [] if kind in ("submit", "file") and not value else [value])
            form = self._owner(attrs)
            if form is not None:
                form.add(control)
                form.multipart = form.multipart or kind == "file"
        elif tag == "button" and attrs.get("name"):
            form = self._owner(attrs)
            if form is not None and attrs.get("type", "submit") == "submit":
                form.add(Input(attrs["name"], "submit", [attrs.get("value", "")], [attrs.get("value", "")]))
        elif tag == "select" and attrs.get("name"):
            self._select = (Input(attrs["name"], "select"), self._owner(attrs), "multiple" in attrs)
        elif tag == "option" and self._select:
            self._option = {"value": attrs.get("value"), "selected": "selected" in attrs}
            self._text = []
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = (attrs["name"], self._owner(attrs))
            self._text = []

    def handle_data(self, data):
        if self._option is not None or self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option" and self._option is not None and self._select:
            control = self._select[0]
            value = self._option["value"] if self._option["value"] is not None else "".join(self._text).strip()
            control.options.append(value)
            if self._option["selected"]:
                control.default.append(value)
            self._option = None
        elif tag == "select" and self._select:
            control, form, _multiple = self._select
            if not control.default and control.options:
                control.default = [control.options[0]]
            if form is not None:
                form.add(control)
            self._select = None
        elif tag == "textarea" and self._textarea:
            name, form = self._textarea
            if form is not None:
                form.add(Input(name, "textarea", [], ["".join(self._text)]))
            self._textarea = None

    def _trigger(self, tag, attrs, method, url):
        """An element with its own ``hx-post``/``hx-get``: htmx sends its own name/value and ``hx-vals``,
        and for a non-GET request the inputs of the enclosing form too."""
        request = Form(method, url, htmx=True, page=self.url)
        if self._form is not None and method != "GET":
            self._triggers.append((request, self._form))  # the form's inputs are added at the end of the page
        if attrs.get("name"):
            request.add(Input(attrs["name"], attrs.get("type", tag), [attrs.get("value", "")],
                              [attrs.get("value", "")]))
        try:
            for name, value in json.loads(attrs.get("hx-vals") or "{}").items():
                request.add(Input(name, "hidden", [str(value)], [str(value)]))
        except (ValueError, AttributeError):
            pass
        self.forms.append(request)

    def close(self):
        super().close()
        for form_id, attrs in self._orphans:
            form = self._by_id.get(form_id)
            if form is not None and attrs.get("name"):
                form.add(Input(attrs["name"], attrs.get("type", "text"), [attrs.get("value", "")],
                               [attrs.get("value", "")]))
        for request, form in self._triggers:
            own = request.inputs
            request.inputs = {name: Input(c.name, c.kind, list(c.options), list(c.default))
                              for name, c in form.inputs.items() if c.kind != "submit"}
            for control in own.values():
                request.add(control)


def parse_page(url, html):
    """``(forms, links, csrf token or None)`` of an HTML page at ``url``."""
    parser = PageParser(url)
    parser.feed(html)
    parser.close()
    return parser.forms, parser.links, parser.csrf


@dataclass
class Answer:
    """A response as the crawler sees it."""

    status: int
    headers: dict
    text: str


class FlaskTransport:
    """Sends requests through a Flask test client (cookies kept by the client)."""

    def __init__(self, client):
        self.client = client

    def send(self, method, url, pairs=(), files=(), headers=None, raw=None):
        from werkzeug.datastructures import MultiDict

        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        kwargs = {"method": method, "headers": headers or {}}
        if raw is not None:
            kwargs.update(content_type=raw[0], data=raw[1])
        elif method == "GET":
            path = _with_query(path, pairs)
        elif files:
            data = MultiDict(list(pairs))
            for name, filename, content in files:
                data.add(name, (io.BytesIO(content), filename))
            kwargs.update(data=data, content_type="multipart/form-data")
        else:
            kwargs.update(data=urlencode(list(pairs)), content_type="application/x-www-form-urlencoded")
        with self.client.open(path, **kwargs) as response:
            text = response.get_data(as_text=True) if _is_html(response.headers) else ""
            return Answer(response.status_code, dict(response.headers), text)


class HttpTransport:
    """Sends requests to a running hub over HTTP (``requests``), as an attacker on the LAN would."""

    def __init__(self, base):
        import requests

        self.base = base.rstrip("/")
        self.session = requests.Session()

    def send(self, method, url, pairs=(), files=(), headers=None, raw=None):
        parts = urlsplit(url)
        target = self.base + parts.path + (f"?{parts.query}" if parts.query else "")
        kwargs = {"headers": dict(headers or {}), "allow_redirects": False, "timeout": 30}
        if raw is not None:
            kwargs["data"] = raw[1]
            kwargs["headers"]["Content-Type"] = raw[0]
        elif method == "GET":
            target = _with_query(target, pairs)
        else:
            kwargs["data"] = list(pairs)
            if files:
                kwargs["files"] = [(name, (filename, content)) for name, filename, content in files]
        response = self.session.request(method, target, **kwargs)
        text = response.text if _is_html(response.headers) else ""
        return Answer(response.status_code, dict(response.headers), text)


def _is_html(headers):
    return "text/html" in (headers.get("Content-Type") or "")


def _with_query(url, pairs):
    pairs = list(pairs)
    if not pairs:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(pairs)


@dataclass
class Failure:
    """A request answered 5xx (or with a traceback in the page)."""

    method: str
    url: str
    what: str
    status: int

    def __str__(self):
        return f"{self.status} {self.method} {self.url} [{self.what}]"


class Crawler:
    """Log in, discover, fuzz. ``requests`` counts what was sent, ``failures`` the 5xx answers.

    Args:
        transport: a :class:`FlaskTransport` or :class:`HttpTransport`.
        login: ``(staff_id, pin)`` to sign in with, or ``None`` to crawl as a visitor.
        rules: URL rules as ``[(rule text such as "/items/<int:item_id>", {"GET", "POST"})]`` (``app.url_map``).
        seed: the random generator's seed. budget: the most requests to send.
        known: path values for rule arguments that point at existing rows (``{"item_id": 3}``), optional.
        skip: path prefixes never requested (e.g. ``/static/``).
    """

    def __init__(self, transport, *, login=None, rules=(), seed=9, budget=1000, known=None, skip=("/static/",),
                 no_fuzz=("/login", "/logout")):
        self.transport = transport
        self.credentials = login
        self.rules = list(rules)
        self.random = random.Random(seed)
        self.budget = budget
        self.known = dict(known or {})
        self.skip = tuple(skip)
        self.no_fuzz = tuple(no_fuzz)
        self.requests = 0
        self.failures = []
        self.forms = {}
        self.pages = {}
        self.params = {}
        self.csrf = None
        self.logins = 0
        self.hosts = {"", "localhost", urlsplit(getattr(transport, "base", "")).netloc}

    # --- sending ---------------------------------------------------------------------------------------------

    def send(self, method, url, pairs=(), files=(), what="", htmx=False, raw=None):
        """Send one request (counted); record a 5xx; sign in again when the answer says the session ended."""
        if self.requests >= self.budget:
            return None
        headers = {}
        if htmx:
            headers["HX-Request"] = "true"
            if method != "GET" and self.csrf:
                headers["X-CSRFToken"] = self.csrf  # what <body hx-headers> adds to every htmx request
        self.requests += 1
        answer = self.transport.send(method, url, pairs, files, headers, raw)
        if answer.status >= 500 or any(marker in answer.text for marker in ERROR_TEXT):
            self.failures.append(Failure(method, url, what, answer.status))
        if self.credentials and self._logged_out(answer):
            self.sign_in()
        elif answer.text:
            self._learn(url, answer.text)
        return answer

    @staticmethod
    def _logged_out(answer):
        target = answer.headers.get("HX-Redirect") or (answer.headers.get("Location") if answer.status in (
            301, 302, 303, 307, 308) else "")
        return urlsplit(target or "").path in ("/login", "/setup")

    def sign_in(self):
        """Log in through the login page with :attr:`credentials` (a fresh CSRF token first)."""
        staff_id, pin = self.credentials
        self.logins += 1
        if self.logins > 50:
            raise RuntimeError("the crawler was logged out more than 50 times")
        page = self.transport.send("GET", "/login")
        _forms, _links, token = parse_page("/login", page.text)
        self.requests += 2
        answer = self.transport.send("POST", "/login", [("csrf_token", token or ""), ("staff_id", str(staff_id)),
                                                        ("pin", pin)])
        if answer.status != 302 or self._logged_out(answer):
            raise RuntimeError(f"cannot log in as staff {staff_id}: {answer.status}")
        self._refresh_token()

    def _refresh_token(self):
        page = self.transport.send("GET", "/")
        self.requests += 1
        if page.status in (301, 302, 303):
            page = self.transport.send("GET", page.headers.get("Location", "/"))
            self.requests += 1
        _forms, _links, token = parse_page("/", page.text)
        self.csrf = token or self.csrf

    def _learn(self, url, html):
        forms, links, token = parse_page(url, html)
        self.csrf = token or self.csrf
        for form in forms:
            if self._ours(form.action) and not path_shape(form.action).startswith(self.no_fuzz):
                self.forms.setdefault(form.signature(), form)
            if form.method == "GET":
                for name in form.inputs:
                    self.params.setdefault(urlsplit(form.action).path, set()).add(name)
        for link in links:
            if not self._ours(link):
                continue
            parts = urlsplit(link)
            for name, _value in parse_qsl(parts.query):
                self.params.setdefault(parts.path, set()).add(name)
            key = (path_shape(link), tuple(sorted(n for n, _v in parse_qsl(parts.query))))
            self.pages.setdefault(key, link)

    def _ours(self, url):
        parts = urlsplit(url)
        if parts.scheme not in ("", "http", "https") or parts.netloc not in self.hosts:
            return False
        return not parts.path.startswith(self.skip)

    # --- the run -------------------------------------------------------------------------------------------

    def run(self, max_pages=150):
        """Sign in, discover pages and forms, then fuzz until the budget is spent. Returns the failures."""
        if self.credentials:
            self.sign_in()
        else:
            self._refresh_token()
        self.discover(max_pages)
        self.fuzz_rules()
        self.fuzz_forms()
        self.fuzz_params()
        return self.failures

    def discover(self, max_pages):
        """Find the pages and forms: GET ``/``, every GET rule (existing ids) and every link found, breadth
        first; then use the shop once as a person would (every form sent as rendered, every POST-only rule
        with existing ids: an item goes into the cart…) and look at every page again, for the forms that
        only show with something to act on (the cart's lines, the tender rows)."""
        queue = ["/"] + [self._build(rule, existing=True) for rule, methods in self.rules if "GET" in methods]
        seen = self._visit(queue, max_pages)
        for form in list(self.forms.values()):
            pairs = [(n, self.csrf or "") if n == "csrf_token" else (n, v) for n, v in form.baseline()]
            self.send(form.method, form.action, pairs, what="discover: as rendered", htmx=form.htmx)
        for rule, methods in self.rules:
            if "<" in rule and "POST" in methods and "GET" not in methods and not rule.startswith(self.no_fuzz):
                self.send("POST", self._build(rule, existing=True), [("csrf_token", self.csrf or "")],
                          what="discover: existing ids", htmx=True)
        self._visit(list(seen), max_pages)

    def _visit(self, queue, max_pages):
        seen = []
        while queue and len(seen) < max_pages and self.requests < self.budget:
            url = queue.pop(0)
            if url is None or url in seen or not self._ours(url) or path_shape(url).startswith(self.no_fuzz):
                continue
            seen.append(url)
            self.send("GET", url, what="discover")
            queue += [link for link in self.pages.values() if link not in seen and link not in queue]
        return seen

    def _build(self, rule, existing, value=None):
        def fill(match):
            kind, name = match.group(1) or "", match.group(2)
            if value is not None:
                return value
            if existing and name in self.known:
                return quote(str(self.known[name]))
            return "1" if kind.startswith("int") else "x"

        return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", fill, rule)

    def fuzz_rules(self):
        """Every rule with arguments, each argument hostile (per converter kind), by each of its methods."""
        for rule, methods in self.rules:
            if "<" not in rule or rule.startswith(self.skip):
                continue
            kind = "int" if "<int" in rule else "any"
            for value in URL_VALUES[kind]:
                url = self._build(rule, existing=False, value=value)
                for method in sorted(methods & {"GET", "POST"}):
                    pairs = [("csrf_token", self.csrf or "")] if method == "POST" else []
                    self.send(method, url, pairs, what=f"rule argument {value[:20]!r}")

    def mutations(self, form):
        """The hostile variants of one form, the most telling first: ``(what, pairs, files, raw)`` where ``raw``
        is ``(content type, body bytes)`` for a body no browser form sends.

        Every field gets each :data:`CORE` kind (all fields at once, one request per kind), then each field
        alone (the others as rendered, so the domain action runs) with two core kinds, missing, and twice;
        then the form as a whole: very long, empty, an unknown field, no CSRF token, invalid UTF-8, JSON, a
        file under a text field's name; then random fields with random values of every kind.
        """
        base = [(n, v) for n, v in form.baseline() if n != "csrf_token"]
        token = [("csrf_token", self.csrf or "")] if "csrf_token" in form.inputs else []
        names = [n for n, c in form.inputs.items() if n != "csrf_token" and c.kind != "file"]
        files = [n for n, c in form.inputs.items() if c.kind == "file"]
        out = [("baseline", token + base, [], None)]
        if names:
            out += [(f"every field {what}", token + [(n, value) for n in names], [], None)
                    for what, value in CORE.items()]
        kinds = list(CORE.items())
        for name in names:
            others = [(n, v) for n, v in base if n != name]
            for what, value in self.random.sample(kinds, 2):
                out.append((f"{name}={what}", token + others + [(name, value)], [], None))
            out.append((f"{name} missing", token + others, [], None))
            out.append((f"{name} twice", token + base + [(name, self.random.choice(kinds)[1])], [], None))
        for name in files:
            for what, filename, content in [("not an image", "x.jpg", b"not a jpeg"), ("empty", "", b""),
                                            ("path", "../../../x.csv", b"a,b\r\n\x00,\xff\xfe"),
                                            ("huge name", "n" * 300 + ".png", b"\x89PNG\r\n")]:
                out.append((f"{name} {what}", token + base, [(name, filename, content)], None))
        out.append(("every field very long", token + [(n, EXTRA["very long"]) for n in names], [], None))
        out.append(("every field missing", token, [], None))
        out.append(("unknown field", token + base + [("zz_unknown", "1")], [], None))
        out.append(("no csrf token", base, [], None))
        body = b"&".join([quote(n).encode() + b"=%FF%FE\xff" for n in names] + [urlencode(token).encode()])
        out.append(("invalid utf-8", None, [], ("application/x-www-form-urlencoded", body)))
        wrong = {n: [1, None, {"x": True}][i % 3] for i, n in enumerate(names)}
        out.append(("json body", None, [], ("application/json", json.dumps(dict(wrong, **dict(token))).encode())))
        if names:
            out.append(("file in a text field", token + base, [(names[0], "x.txt", b"\x00\xff")], None))
        extra = kinds + list(EXTRA.items())
        for _ in range(3 * len(names)):
            name = self.random.choice(names)
            what, value = self.random.choice(extra)
            others = [(n, v) for n, v in base if n != name]
            out.append((f"{name}={what}", token + others + [(name, value)], [], None))
        return out

    def _hostile_action(self, form):
        """The form's action with its ids replaced by a missing, zero or huge id."""
        parts = urlsplit(form.action)
        if not re.search(r"\d", parts.path):
            return None
        value = self.random.choice(["0", "987654321", str(2**63 - 1)])
        return re.sub(r"\d+", value, parts.path) + (f"?{parts.query}" if parts.query else "")

    def fuzz_forms(self):
        """Send every form's variants, one variant of each form in turn, so a short budget still covers all."""
        plans = []
        for form in list(self.forms.values()):
            variants = self.mutations(form)
            hostile = self._hostile_action(form)
            if hostile:
                variants.insert(1, ("action with a missing id", variants[0][1], [], None))
            plans.append((form, hostile, variants))
        step = 0
        while self.requests < self.budget and any(step < len(v) for _f, _h, v in plans):
            for form, hostile, variants in plans:
                if step >= len(variants):
                    continue
                what, pairs, files, raw = variants[step]
                url = hostile if what == "action with a missing id" else form.action
                if pairs is not None and "csrf_token" in form.inputs:
                    pairs = [(n, self.csrf or "") if n == "csrf_token" else (n, v) for n, v in pairs]
                htmx = form.htmx or self.random.random() < 0.25
                self.send(form.method, url, pairs or (), files if form.method != "GET" else (), what=what,
                          htmx=htmx, raw=raw if form.method != "GET" else None)
            step += 1

    def fuzz_params(self):
        """Every query-string parameter seen in links and GET forms, with each hostile value."""
        values = list(CORE.items()) + list(EXTRA.items())
        for path, names in sorted(self.params.items()):
            for name in sorted(names):
                for what, value in values:
                    if self.requests >= self.budget:
                        return
                    self.send("GET", path, [(name, value)], what=f"?{name}={what}")


def main(argv=None):
    """Crawl a running hub: ``python -m tests.crawler URL --staff ID --pin PIN``; exit 1 on any 5xx."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--staff", type=int)
    parser.add_argument("--pin")
    parser.add_argument("--budget", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args(argv)
    crawler = Crawler(HttpTransport(args.url), login=(args.staff, args.pin) if args.staff else None,
                      seed=args.seed, budget=args.budget)
    failures = crawler.run()
    print(f"{crawler.requests} requests, {len(crawler.forms)} forms, {len(failures)} answers >= 500")
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

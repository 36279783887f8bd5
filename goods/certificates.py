"""Appraisal and test certificates on any item (design brief §6): a third-party lab or appraiser (an
organisation, with its CMA / CNAS accreditation number) or the shop's own functional test, with report
number, date, grade and result. Shown without personal data on the item's public page; each one writes an
EPCIS ``inspecting`` event (``conformant`` / ``non_conformant``)."""

import re
from datetime import date
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from core import clock
from core.db import one, rows, transaction
from core.errors import DomainError, NotFound
from core.text import refuse_personal_data
from inventory.items import clean_text
from sync import outbox

MAX_BODY = 60
MAX_ACCREDITATION = 40
MAX_REPORT_NO = 40
MAX_GRADE = 20
MAX_SUMMARY = 200
MAX_URL = 300


def clean_verify_url(text):
    """An optional link where the report can be checked: ``http`` or ``https`` with a host, else refused.

    Raises:
        DomainError: another scheme (``javascript:``, ``data:``, ``file:``…), no host, spaces, or too long.
    """
    url = (text or "").strip()
    if not url:
        return ""
    if len(url) > MAX_URL or re.search(r"\s", url):
        raise DomainError(_l("Enter the link as one web address (at most 300 characters)."), field="verify_url")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise DomainError(_l("The link must start with https:// or http:// and name a web site."),
                          field="verify_url")
    return url


def add_certificate(db, item_id, *, body, report_no, issued_on, passed, accreditation="", grade="", summary="",
                    verify_url="", own_test=False, report_file=None, staff_id=None, moment=None):
    """Attach a certificate to an item and write its ``inspecting`` event in one transaction.

    Args:
        body: the lab or appraiser (an organisation; the shop's name for its own test).
        report_no: the report's number; issued_on: its date (``datetime.date``, not after today in the shop).
        passed: the result (bool); summary: a short result text.
        accreditation: CMA / CNAS number or free text; grade: e.g. ``A`` or ``95新``.
        verify_url: optional ``http(s)`` link (:func:`clean_verify_url`).
        own_test: the shop's own functional test (event check ``test``) instead of a third party
            (``certificate``).

    Returns:
        int: the certificate's id.

    Raises:
        NotFound: no such item. DomainError: a bad or missing field, a future date, personal data in text.
    """
    fields = {"body": clean_text(body, "body", MAX_BODY),
              "accreditation": clean_text(accreditation, "accreditation", MAX_ACCREDITATION, required=False),
              "report_no": clean_text(report_no, "report_no", MAX_REPORT_NO),
              "grade": clean_text(grade, "grade", MAX_GRADE, required=False),
              "summary": clean_text(summary, "summary", MAX_SUMMARY, required=False)}
    for name, value in fields.items():
        refuse_personal_data(value, field=name)
    verify_url = clean_verify_url(verify_url)
    moment = moment or clock.now()
    if not isinstance(issued_on, date):
        raise DomainError(_l("Enter the report's date."), field="issued_on")
    today = clock.local_today(moment)
    if issued_on > today:
        raise DomainError(_l("The report date %(day)s is in the future (today is %(today)s).",
                             day=issued_on.isoformat(), today=today.isoformat()), field="issued_on")
    with transaction(db):
        item = one(db, "SELECT * FROM items WHERE id = ?", (item_id,))
        if item is None:
            raise NotFound(_l("No such item."))
        details = {"body": fields["body"], "accreditation": fields["accreditation"],
                   "reportNumber": fields["report_no"], "grade": fields["grade"], "date": issued_on.isoformat(),
                   "result": "pass" if passed else "fail", "summary": fields["summary"], "verifyUrl": verify_url}
        event_id = outbox.record_inspection(db, item, check="test" if own_test else "certificate",
                                            passed=bool(passed), details=details, moment=moment)
        return db.execute(
            "INSERT INTO certificates (item_id, body, own_test, accreditation, report_no, issued_on, grade, passed, "
            "summary, report_file, verify_url, staff_id, created_at, event_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item_id, fields["body"], int(bool(own_test)), fields["accreditation"], fields["report_no"],
             issued_on.isoformat(), fields["grade"], int(bool(passed)), fields["summary"], report_file, verify_url,
             staff_id, clock.iso(moment), event_id)).lastrowid


def certificates(db, item_id):
    """An item's certificates, newest report first."""
    return rows(db, "SELECT * FROM certificates WHERE item_id = ? ORDER BY issued_on DESC, id DESC", (item_id,))

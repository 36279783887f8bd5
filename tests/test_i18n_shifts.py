"""Every string of the till-and-drawer areas (pos, reports) has a zh_CN translation with the same
placeholders."""

import re

from babel.messages.pofile import read_po

from core import i18n_tool


def test_pos_and_reports_fully_translated():
    assert i18n_tool.missing("pos") == []
    assert i18n_tool.missing("reports") == []


def test_placeholders_survive_translation():
    for area in ("pos", "reports"):
        with i18n_tool.po_path(area).open("rb") as fh:
            for message in read_po(fh):
                if not message.id or isinstance(message.id, tuple):
                    continue
                assert sorted(re.findall(r"%\(\w+\)[sd]", message.id)) == sorted(
                    re.findall(r"%\(\w+\)[sd]", message.string)), message.id

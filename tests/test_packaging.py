"""`pip install .` ships what the app needs: build the wheel and look inside."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_holds_templates_static_files_and_compiled_catalogs(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, cwd=tmp_path)
    wheel = next(tmp_path.glob("resale_pos-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "app.py" in names
    for template in (ROOT / "templates").rglob("*.html"):
        assert template.relative_to(ROOT).as_posix() in names
    for static in (ROOT / "static").rglob("*"):
        if static.is_file():
            assert static.relative_to(ROOT).as_posix() in names
    for po in ROOT.glob("*/translations/*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo").relative_to(ROOT).as_posix()
        assert mo in names, mo  # compiled at build time by setup.py
    for area in ("core", "staff", "inventory", "pos", "sync"):
        assert f"{area}/__init__.py" in names
    tops = {name.split("/")[0] for name in names}
    assert not tops & {"tests", "bench", "deploy", "docs", "build"}, tops
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "resale-pos = cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()

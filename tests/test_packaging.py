"""`pip install .` ships what the app needs: build the wheel and look inside."""

import importlib.metadata
import subprocess
import sys
import tomllib
import zipfile

import setuptools

from core.paths import module_file, package_dir

ROOT = module_file("app").parent  # the checkout under test (pytest's pythonpath puts it first)


def our_top_level_names():
    """The top-level names the wheel installs, found the way pyproject's [tool.setuptools] finds them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    find = config["packages"]["find"]
    packages = setuptools.find_namespace_packages(where=str(ROOT), include=find["include"], exclude=find["exclude"])
    return {name.split(".")[0] for name in packages} | set(config["py-modules"])


def top_level_names_of(distribution):
    """What ``distribution`` (``importlib.metadata.Distribution``) puts at the top of site-packages: its
    ``top_level.txt`` and the first part of every file it installed (``foo.py`` → ``foo``)."""
    names = set((distribution.read_text("top_level.txt") or "").split())
    for file in distribution.files or []:
        if file.parts and file.parts[0] != ".." and not file.parts[0].endswith((".dist-info", ".egg-info", ".pth")):
            names.add(file.parts[0].removesuffix(".py"))
    return names


def clashes(distributions, ours):
    """``{distribution name: sorted clashing names}`` for every distribution but ours that ships one of
    ``ours``."""
    found = {}
    for distribution in distributions:
        name = distribution.metadata["Name"] or "?"
        if name.lower().replace("_", "-") == "resale-pos":
            continue
        clash = top_level_names_of(distribution) & ours
        if clash:
            found[name] = sorted(clash)
    return found


def test_no_other_installed_distribution_ships_one_of_our_top_level_names():
    """Our areas install as top-level packages (core, pos, templates …); another distribution with one of
    those names would overwrite our files or, for namespace packages like templates, merge into them."""
    ours = our_top_level_names()
    assert {"app", "core", "pos", "inventory", "templates", "static"} <= ours
    assert clashes(importlib.metadata.distributions(), ours) == {}


def test_the_guard_catches_a_distribution_that_ships_our_names(tmp_path):
    info = tmp_path / "evil_templates-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil-templates\nVersion: 1.0\n")
    (info / "RECORD").write_text("templates/base.html,,\ncore.py,,\nevil/__init__.py,,\n")
    evil = importlib.metadata.PathDistribution(info)
    assert clashes([evil], our_top_level_names()) == {"evil-templates": ["core", "templates"]}


def test_each_of_our_packages_is_found_beside_app_py_first():
    """What the app reads (catalogs, templates) is found per package: each must come from this tree."""
    for name in our_top_level_names() - {"app"}:
        assert package_dir(name).parent == ROOT, name


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

"""The layers of docs/architecture.md hold: import-linter's contracts (pyproject.toml) pass, only the CLI
imports the app factory, and every import inside a function says why it is there."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["cli", "registry", "consignment", "buying", "reports", "pos", "inventory", "terms", "staff", "printing",
            "sync", "epcis", "core"]
REASON = "# function-level:"


def _sources():
    yield ROOT / "app.py"
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield node, [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node, [node.module]


def test_the_import_contracts_hold():
    done = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                           "sys.argv = ['lint-imports', '--no-cache']; lint_imports_command()"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Contracts: 2 kept, 0 broken." in done.stdout


def test_only_the_cli_imports_the_app_factory():
    offenders = []
    for path in _sources():
        if path.parts[len(ROOT.parts)] == "cli":
            continue
        for node, names in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if any(name == "app" or name.startswith("app.") for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_every_import_inside_a_function_gives_its_reason():
    """Allowed only for optional or heavy dependencies loaded on first use, with a one-line reason;
    never to dodge a cycle (the layer contract makes cycles impossible anyway)."""
    found, unexplained = [], []
    for path in _sources():
        source = path.read_text(encoding="utf-8")
        lines = source.split("\n")
        for function in ast.walk(ast.parse(source)):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    found.append(where)
                    if REASON not in lines[node.lineno - 1]:
                        unexplained.append(where)
    assert sorted(set(unexplained)) == []
    assert len(set(found)) <= 12, sorted(set(found))  # today: the app in cli._app (timed start-up), fcntl, fpdf2 (2), python-escpos (7)


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_is_a_real_package(package):
    assert (ROOT / package / "__init__.py").is_file()

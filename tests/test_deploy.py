"""deploy/: the systemd unit parses and runs ``resale-pos serve``; the environment example lists every setting."""

import configparser
import re
from pathlib import Path

from core.config import DEFAULTS

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def unit():
    parser = configparser.ConfigParser(strict=True, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / "resale-pos.service").read_text())
    return parser


def test_unit_runs_resale_pos_serve_as_a_dedicated_user():
    service = unit()["Service"]
    exec_start = service["ExecStart"].split()
    assert Path(exec_start[0]).name == "resale-pos" and Path(exec_start[0]).is_absolute()
    assert exec_start[1] == "serve"
    assert service["User"] == "resale-pos" and service["User"] != "root"
    assert service["EnvironmentFile"] == "/etc/resale-pos/env"
    assert service["Restart"] == "on-failure"
    assert service["StateDirectory"] == "resale-pos"
    for option, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                          "PrivateTmp": "yes"}.items():
        assert service[option] == value, option


def test_unit_sections():
    parsed = unit()
    assert parsed.sections() == ["Unit", "Service", "Install"]
    assert parsed["Install"]["WantedBy"] == "multi-user.target"
    assert "network-online.target" in parsed["Unit"]["After"]


def test_env_example_lists_every_setting():
    text = (DEPLOY / "resale-pos.env.example").read_text()
    listed = set(re.findall(r"^#?(RESALE_[A-Z0-9_]+)=", text, re.M))
    expected = {f"RESALE_{key}" for key in DEFAULTS} | {"RESALE_INSTANCE", "RESALE_HOST", "RESALE_PORT",
                                                          "RESALE_THREADS", "RESALE_SECRET_KEY"}
    assert expected <= listed, sorted(expected - listed)
    for line in text.splitlines():
        assert not line.strip() or line.startswith("#") or re.match(r"^RESALE_[A-Z0-9_]+=", line), line


def test_systemd_analyze_verify_finds_no_error(tmp_path):
    import shutil
    import subprocess

    import pytest

    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed")
    text = (DEPLOY / "resale-pos.service").read_text()
    # the venv does not exist here: point ExecStart at a binary that does, keep everything else
    text = text.replace("ExecStart=/opt/resale-pos/venv/bin/resale-pos serve", "ExecStart=/bin/true serve")
    unit_file = tmp_path / "resale-pos.service"
    unit_file.write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", str(unit_file)], capture_output=True, text=True,
                            timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "resale-pos.service" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr

"""Issue 11 §1: HTTPS on the LAN for camera scanning — the Caddyfile ``resale-pos https-config`` writes, run
by a real Caddy (Debian's ``caddy``) in front of the app on waitress, with the local CA Caddy makes.

Checked: the front answers over TLS with a certificate that the hub's CA (and nothing else) verifies; the
app sees the request as HTTPS through the forwarded headers it trusts from loopback only; ``/connect/ca.crt``
serves exactly that CA certificate (DER) and ``/connect`` shows its SHA-256 fingerprint.
"""

import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import time
from contextlib import ExitStack

import pytest
import requests
from click.testing import CliRunner
from waitress import create_server

from app import create_app
from cli.main import main, waitress_proxy_options
from core import lan_https
from tests.browser import running
from tests.conftest import text_of

CADDY = shutil.which("caddy")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_caddyfile_names_every_address_and_keeps_the_ca_in_the_instance(tmp_path):
    text = lan_https.caddyfile(instance_path=tmp_path, addresses=["192.168.1.20", "hub.lan"], app_port=8080)
    assert "https://192.168.1.20:8443, https://hub.lan:8443, https://localhost:8443 {" in text
    assert f"storage file_system {tmp_path / 'caddy'}" in text
    assert "\treverse_proxy 127.0.0.1:8080\n" in text and "\ttls internal\n" in text
    assert "skip_install_trust" in text and "default_sni 192.168.1.20" in text
    with pytest.raises(ValueError):
        lan_https.caddyfile(instance_path=tmp_path, addresses=[], app_port=8080)
    with pytest.raises(ValueError):
        lan_https.caddyfile(instance_path=tmp_path, addresses=["hub.lan"], app_port=8443, https_port=8443)


def test_https_config_writes_the_file_and_says_what_to_run(tmp_path):
    result = CliRunner().invoke(main, ["https-config", "--instance", str(tmp_path), "--address", "10.0.0.5"])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "Caddyfile").read_text()
    assert written == lan_https.caddyfile(instance_path=str(tmp_path), addresses=["10.0.0.5"], app_port=8080)
    assert f"caddy run --adapter caddyfile --config {tmp_path / 'Caddyfile'}" in result.output
    assert "resale-pos serve --port 8080 --behind-proxy --https-port 8443" in result.output
    assert "http://10.0.0.5:8080/connect" in result.output


def test_forwarded_headers_are_trusted_only_behind_a_front():
    assert waitress_proxy_options(False) == {"clear_untrusted_proxy_headers": True}
    behind = waitress_proxy_options(True)
    assert behind["trusted_proxy"] == "127.0.0.1" and behind["trusted_proxy_count"] == 1
    assert behind["trusted_proxy_headers"] == {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}


def test_no_certificate_yet_is_a_clear_404(app):
    client = app.test_client()
    answer = client.get("/connect/ca.crt")
    assert answer.status_code == 404 and "resale-pos https-config" in text_of(answer)
    assert "HTTPS is not set up on this hub yet" in text_of(client.get("/connect", headers={"Accept-Language": "en"}))


@pytest.fixture
def https_hub(tmp_path):
    """The app on waitress (trusting the front) behind a real Caddy with its local CA."""
    if not CADDY:
        if os.environ.get("CI"):
            pytest.fail("caddy must be installed in CI (Makefile system-deps)")
        pytest.skip("caddy is not installed")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "BACKGROUND_WORKERS": False})
    stack = ExitStack()
    server = stack.enter_context(running(create_server(app, host="127.0.0.1", port=0, threads=2,
                                                       **waitress_proxy_options(True))))
    https_port = free_port()
    config = tmp_path / "Caddyfile"
    config.write_text(lan_https.caddyfile(instance_path=app.instance_path, addresses=["127.0.0.1"],
                                          app_port=int(server.effective_port), https_port=https_port))
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    caddy = subprocess.Popen([CADDY, "run", "--adapter", "caddyfile", "--config", str(config)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root = lan_https.caddy_storage(app.instance_path) / lan_https.CA_SUBPATH
    base = f"https://127.0.0.1:{https_port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if root.exists() and requests.get(base + "/healthz", verify=str(root), timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or caddy.poll() is not None:
            caddy.kill()
            caddy.wait(timeout=10)
            pytest.fail("caddy did not come up: " + caddy.stderr.read().decode(errors="replace")[-2000:])
        time.sleep(0.2)
    yield base, root
    caddy.terminate()
    caddy.wait(timeout=10)
    caddy.stderr.close()
    stack.close()


def test_the_hub_answers_over_https_with_its_own_ca(https_hub):
    base, root = https_hub
    # the certificate verifies against the hub's CA, and does not against the system's trusted roots
    assert requests.get(base + "/healthz", verify=str(root), timeout=5).json()["database"] == "ok"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(base + "/healthz", timeout=5)

    # the CA certificate tablets install is exactly Caddy's root, as DER, and its fingerprint is shown
    der = ssl.PEM_cert_to_DER_cert(root.read_text())
    answer = requests.get(base + "/connect/ca.crt", verify=str(root), timeout=5)
    assert answer.status_code == 200 and answer.content == der
    assert answer.headers["Content-Type"] == "application/x-x509-ca-cert"
    page = requests.get(base + "/connect", verify=str(root), headers={"Accept-Language": "en"}, timeout=5).text
    digest = hashlib.sha256(der).hexdigest().upper()
    assert ":".join(digest[i:i + 2] for i in range(0, 64, 2)) in page
    # the app saw the request as HTTPS (X-Forwarded-Proto from the front on loopback)
    assert "This page was opened over HTTPS" in page

"""HTTPS on the shop's LAN, so that other tablets may use their camera (issue 11 §1).

Browsers give the camera only to secure contexts: the hub's own screen (``http://localhost``) is one, a
tablet opening ``http://192.168.1.20:8080`` is not. waitress speaks plain HTTP only, so the hub puts Caddy
in front of it (Debian's ``caddy``): ``resale-pos https-config`` writes a Caddyfile (:func:`caddyfile`) that

* serves HTTPS on the hub's LAN addresses with certificates from a **local certificate authority** that
  Caddy makes and keeps in the instance folder (``tls internal``; nothing leaves the shop, no domain name
  or internet needed), and forwards to waitress on loopback with ``X-Forwarded-For``, which
  ``resale-pos serve --behind-proxy`` trusts from 127.0.0.1 only (so PIN limits still see each tablet);
* leaves plain HTTP to waitress as before: shoppers' phones open the tags' links there (they would not
  trust the shop's CA), and a new tablet reads ``/connect`` there (the instructions and the CA certificate
  it must install before it can trust the hub).

The CA certificate is public (it holds no secret); its SHA-256 fingerprint is shown on the hub's own screen
so the owner can check that the file a tablet downloaded over plain HTTP is the hub's.
"""

import hashlib
from pathlib import Path

from core.lazy import lazy_module

x509 = lazy_module("cryptography.x509")  # on the first /connect (core.lazy): ~0.1 s a start-up does not need
serialization = lazy_module("cryptography.hazmat.primitives.serialization")

#: where Caddy's ``tls internal`` keeps its root certificate, under the storage folder the Caddyfile names
CA_SUBPATH = Path("pki") / "authorities" / "local" / "root.crt"


def caddy_storage(instance_path):
    """The folder Caddy keeps its CA and certificates in: ``<instance>/caddy``."""
    return Path(instance_path) / "caddy"


def ca_certificate_path(config, instance_path):
    """The CA certificate tablets install: config ``TLS_CA_CERT`` when set (another front than the Caddyfile
    we write), else Caddy's root under :func:`caddy_storage`."""
    return Path(config.get("TLS_CA_CERT") or caddy_storage(instance_path) / CA_SUBPATH)


def ca_certificate(path):
    """The CA certificate at ``path`` as ``(der_bytes, sha256 fingerprint "AB:CD:…")``, or ``None`` while
    there is none (Caddy makes it on its first start) or the file is not a PEM certificate."""
    try:
        certificate = x509.load_pem_x509_certificate(Path(path).read_bytes())
    except (OSError, ValueError):
        return None
    der = certificate.public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).hexdigest().upper()
    return der, ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def https_urls(addresses, https_port):
    """``https://<address>:<port>/`` for each LAN address (``:443`` left out)."""
    suffix = "" if https_port == 443 else f":{https_port}"
    return [f"https://{address}{suffix}/" for address in addresses]


def caddyfile_addresses(path):
    """The LAN addresses or names a Caddyfile written by :func:`caddyfile` serves (its site line, in order,
    ``localhost`` left out: other tablets cannot open it), or ``[]`` when there is no such file or line.

    ``resale-pos serve --behind-proxy`` shows these: the front's certificates cover exactly these names, so a
    tablet must open one of them (``https://hub.lan:8443/``), not an address the hub found by itself."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    for line in text.splitlines():
        if line.startswith("https://") and line.rstrip().endswith("{"):
            sites = [site.strip() for site in line.rstrip()[:-1].split(",")]
            found = []
            for site in sites:
                host = site.removeprefix("https://").rsplit(":", 1)[0]
                if host and host != "localhost" and host not in found:
                    found.append(host)
            return found
    return []


def caddyfile(*, instance_path, addresses, app_port, https_port=8443):
    """The Caddyfile of the LAN front (see the module docstring).

    Args:
        instance_path: the hub's instance folder (Caddy's storage goes in ``caddy/`` under it).
        addresses: the hub's LAN IPv4 addresses or names the tablets open (at least one).
        app_port: the port waitress listens on, on 127.0.0.1.
        https_port: the port Caddy listens on for the LAN.

    Returns:
        str: the file's text.

    Raises:
        ValueError: no address, or a port outside 1–65535, or the two ports equal.
    """
    if not addresses:
        raise ValueError("at least one LAN address is needed")
    ports = (app_port, https_port)
    if any(not 0 < port < 65536 for port in ports) or app_port == https_port:
        raise ValueError("two different ports between 1 and 65535 are needed")
    sites = ", ".join(f"https://{address}:{https_port}" for address in [*addresses, "localhost"])
    storage = caddy_storage(instance_path)
    return f"""# Written by `resale-pos https-config`. Run: caddy run --adapter caddyfile --config <this file>
# HTTPS for the shop's tablets (camera scanning needs it), with a local CA kept in {storage}.
{{
\tadmin off
\tlocal_certs
\tskip_install_trust
\tstorage file_system {storage}
\tauto_https disable_redirects
\thttps_port {https_port}
\tdefault_sni {addresses[0]}
}}

{sites} {{
\ttls internal
\treverse_proxy 127.0.0.1:{app_port}
}}
"""

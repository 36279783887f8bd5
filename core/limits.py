"""Per-client limits on PIN attempts (Flask-Limiter, in-process memory) and who counts as the hub itself.

Every device on the shop's Wi-Fi can reach the login page, so a per-account lockout alone lets one device
guess for ever and keep every account locked (issue 9 §3). Wrong PINs are therefore also counted per
client address, over stacked moving windows (``PIN_CLIENT_LIMITS``, default 10 a minute, 30 an hour, 100 a
day): the more a device guesses, the longer it waits (a minute, then up to an hour, then up to a day). The
first window is wider than one account's lockout (``LOCKOUT_ATTEMPTS``), so someone who mistypes their
own PIN sees the account's message; a device trying account after account is stopped here. Only wrong
PINs count (answers with status 401), so a cashier who logs in many times a day is never slowed down. The login page and the owner's PIN at a void
share one budget (scope ``pin``).

Requests from the hub's own loopback (a browser on the hub, ``http://localhost:8080/``) are exempt: an
attacker on the Wi-Fi cannot spend the owner's way in. Loopback is trusted only while no proxy header is
present (a reverse proxy on the hub would make every client look local) and ``HUB_LOOPBACK_TRUSTED`` is
true; set it to false when the hub sits behind a proxy on the same machine.

The counters live in the server's memory: a restart clears them, and ``resale-pos unlock`` (another
process) clears account lockouts only, which is enough because loopback is never limited.
"""

import ipaddress
import logging
import math
import time
from datetime import UTC, datetime

from flask import current_app, request
from flask_limiter import Limiter

log = logging.getLogger("resale.auth")

#: Stacked windows: 10 wrong PINs in a minute, 30 in an hour, 100 in a day per client address.
DEFAULT_PIN_CLIENT_LIMITS = "10 per minute; 30 per hour; 100 per day"
#: The scope of the one budget all PIN forms share.
PIN_SCOPE = "pin"


def client_address():
    """The address of the device that sent the request (the socket peer; proxy headers are not trusted)."""
    return request.remote_addr or "unknown"


def pin_check_options():
    """How this request's PIN is to be checked: the keyword arguments of ``staff.accounts.verify_login``
    (``attempts``, ``lock_minutes`` from ``LOCKOUT_ATTEMPTS`` / ``LOCKOUT_MINUTES``, ``from_hub``,
    ``client``). Every PIN form (login, PIN change, the void's owner PIN) passes these, so a PIN typed on the
    hub itself never counts towards the LAN lockout and each lockout names the client it came from."""
    config = current_app.config
    return {"attempts": config["LOCKOUT_ATTEMPTS"], "lock_minutes": config["LOCKOUT_MINUTES"],
            "from_hub": from_hub_itself(), "client": client_address()}


def from_hub_itself():
    """True for a request from the hub's own loopback (127.0.0.0/8, ``::1``), with no proxy header and
    ``HUB_LOOPBACK_TRUSTED`` on."""
    if not current_app.config.get("HUB_LOOPBACK_TRUSTED", True):
        return False
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded") \
            or request.headers.get("X-Real-IP"):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _pin_limits():
    return current_app.config.get("PIN_CLIENT_LIMITS") or DEFAULT_PIN_CLIENT_LIMITS


def _wrong_pin(response):
    return response.status_code == 401


limiter = Limiter(client_address, storage_uri="memory://", strategy="moving-window", headers_enabled=False)

#: Decorator for a view that checks a PIN on POST: wrong PINs count against the client's budget, the
#: hub's loopback is exempt, and a client over budget gets 429 before the view runs.
pin_attempts = limiter.shared_limit(_pin_limits, scope=PIN_SCOPE, methods=["POST"], deduct_when=_wrong_pin,
                                    exempt_when=from_hub_itself)


def init_app(app):
    """Attach the limiter to ``app`` (config ``RATELIMIT_ENABLED`` false turns it off)."""
    limiter.init_app(app)


def retry_after():
    """When the breached per-client limit of this request lets the client try again, as ``(seconds from
    now, aware UTC datetime)``, or ``None`` outside a breach. Measured on ``time.time()``, the clock the
    limiter's windows run on (not :mod:`core.clock`, which tests may stop)."""
    current = limiter.current_limit
    if current is None:
        return None
    return max(1, math.ceil(current.reset_at - time.time())), datetime.fromtimestamp(current.reset_at, UTC)


def reset():
    """Forget every per-client count (tests; a restarted server starts empty too)."""
    limiter.reset()

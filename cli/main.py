"""The ``resale-pos`` command: serve, init, demo, backup, restore, sync, verify-journal, unlock, registry.

Run ``resale-pos --help`` for the list; every command takes ``--instance DIR`` (default
``$RESALE_INSTANCE`` or ``~/.local/share/resale-pos``).
"""

import io
import socket
import struct
import sys
import time
from pathlib import Path

import click
import qrcode
from waitress import serve as waitress_serve

from cli.demo import DEMO_PINS, load_demo
from core import audit, clock, lan_https
from core.backup import BackupError, backup, check_backup, restore, restore_checks
from core.db import close_thread_connections, connect, hold_open, transaction
from core.errors import Conflict, DomainError
from core.files import restrict_new_files
from core.lazy import lazy_module
from core.logs import protect_logs
from core.memory import limit_malloc_arenas
from core.settings import get_setting, set_setting
from core.views import app_version
from core.workers import start_workers
from staff import accounts
from sync import journal, sender
from sync.state import registry_config, summary

# The reference registry is another app: only its own commands load it, not ``serve`` (core.lazy; issue 10 §6).
registry_app = lazy_module("registry")
registry_catalogue = lazy_module("registry.catalogue")
registry_settings = lazy_module("registry.settings")
store = lazy_module("registry.store")

INSTANCE = click.option("--instance", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Instance folder (database, keys, photos, backups).")


def _app(instance, **config):
    started = time.perf_counter()
    from app import create_app  # function-level: importing the app is part of the start-up time shown

    cfg = dict(config)
    if instance:
        cfg["INSTANCE_PATH"] = str(instance)
    app = create_app(cfg)
    app.config["STARTUP_SECONDS"] = time.perf_counter() - started
    return app


def lan_addresses():
    """This machine's IPv4 addresses other than loopback, best first (no packet is sent).

    Sources: the address a UDP socket would use for the default route (``connect`` on UDP sends nothing),
    the host name's addresses, and on Linux each interface's address (``SIOCGIFADDR``).

    Returns:
        list[str]: dotted-quad addresses, possibly empty (no network).
    """
    found = []

    def add(address):
        if address and not address.startswith(("127.", "0.", "169.254.")) and address not in found:
            found.append(address)

    for target in ("10.255.255.255", "192.168.255.255", "172.31.255.255"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect((target, 9))
                add(probe.getsockname()[0])
        except OSError:
            pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            add(info[4][0])
    except OSError:
        pass
    found.extend(a for a in _interface_addresses() if a not in found and not a.startswith(("127.", "169.254.")))
    return found


def _interface_addresses():
    """Each network interface's IPv4 address via ``ioctl(SIOCGIFADDR)`` (Linux, Android); else ``[]``."""
    try:
        import fcntl  # function-level: POSIX only (absent on a Windows hub)

        result = []
        for _index, name in socket.if_nameindex():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                try:
                    packed = fcntl.ioctl(sock.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))
                except OSError:
                    continue
                result.append(socket.inet_ntoa(packed[20:24]))
        return result
    except (ImportError, OSError, AttributeError):
        return []


def lan_urls(host, port):
    """The URLs other devices open: one per LAN address when listening on all interfaces, else ``host``'s."""
    if host in ("0.0.0.0", "", "::"):
        addresses = lan_addresses()
    else:
        addresses = [host]
    return [f"http://{a}:{port}/" for a in addresses] or [f"http://localhost:{port}/"]


def terminal_qr(text):
    """``text`` as a QR code drawn with block characters for a terminal (error correction M, quiet zone
    4 modules, dark modules printed as spaces on a light block background so it scans on dark terminals).

    Returns:
        tuple[str, list[list[bool]]]: the printable block and the QR matrix it draws (True = dark),
        quiet zone included.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue(), code.get_matrix()


@click.group()
def main():
    """Resale POS: point of sale and consignment inventory for second-hand markets."""
    restrict_new_files()  # every command, the registry's too: files 0600, folders 0700 (issue 9 §6)
    protect_logs()  # and no typed input in log lines (issue 9 §7)


@main.command()
@INSTANCE
@click.option("--host", default="0.0.0.0", show_default=True, envvar="RESALE_HOST",
              help="Address to listen on (0.0.0.0: the whole LAN). Env: RESALE_HOST.")
@click.option("--port", default=8080, show_default=True, type=int, envvar="RESALE_PORT", help="Env: RESALE_PORT.")
@click.option("--threads", default=8, show_default=True, type=int, envvar="RESALE_THREADS",
              help="waitress worker threads. Env: RESALE_THREADS.")
@click.option("--demo", is_flag=True, help="Load demo data first if the instance is empty (a shop with data is left "
              "untouched).")
@click.option("--no-workers", is_flag=True, help="Do not start background workers (backup, printing, sync).")
@click.option("--behind-proxy", is_flag=True, envvar="RESALE_BEHIND_PROXY",
              help="HTTPS front on this hub (resale-pos https-config): trust its X-Forwarded-For from 127.0.0.1 "
                   "and print its https:// addresses. Env: RESALE_BEHIND_PROXY.")
@click.option("--https-port", default=8443, show_default=True, type=int, envvar="RESALE_HTTPS_PORT",
              help="The HTTPS front's port (with --behind-proxy). Env: RESALE_HTTPS_PORT.")
def serve(instance, host, port, threads, demo, no_workers, behind_proxy, https_port):
    """Serve the app with waitress and print the address other tablets open."""
    limit_malloc_arenas()  # before any thread is started: see core.memory
    app = _app(instance)
    _remember_address(app, host, port)  # first: the demo items' QR URLs are built from it
    if demo and load_demo(app):
        click.echo(f"Demo data loaded. PINs: owner {DEMO_PINS['owner']}, cashier {DEMO_PINS['cashier']}.")
    elif demo:  # a shop already: --demo writes nothing into it (cli.demo.load_demo)
        click.echo("This instance already holds a shop: --demo loaded nothing and changed nothing. Serving the shop "
                   "as it is (demo data goes only into an empty instance, e.g. --instance /tmp/demo-shop).")
    urls = lan_urls(host, port)
    if behind_proxy:  # tablets that scan with their camera use the HTTPS front; shoppers' phones the plain one
        app.config["LAN_HTTPS_URLS"] = lan_https.https_urls(https_addresses(app.instance_path), https_port)
        urls = app.config["LAN_HTTPS_URLS"] + urls
    click.echo(f"Resale POS {app_version()} — data in {app.instance_path}")
    click.echo(f"Started in {app.config['STARTUP_SECONDS']:.2f} s.")
    click.echo(f"Open the till on this device: http://localhost:{port}/")
    for url in urls:
        click.echo(f"Other tablets on this network: {url}")
    click.echo("Scan this with a tablet's camera to open the till:")
    click.echo(terminal_qr(urls[0])[0], nl=False)
    sys.stdout.flush()
    if not no_workers and app.config.get("BACKGROUND_WORKERS", True):
        start_workers(app, app.config["WORKER_START_DELAY_SECONDS"])
    keeper = hold_open(app.config["DATABASE"])  # no WAL checkpoint + fsync at the end of every request
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="resale-pos",
                       **waitress_proxy_options(behind_proxy))
    finally:
        close_thread_connections()  # the waitress threads' kept connections (core.db)
        keeper.close()


def https_addresses(instance_path):
    """The LAN names/addresses of the HTTPS front: those of the instance's Caddyfile (``https-config``; its
    certificates cover exactly these), else the hub's own LAN addresses, else ``localhost``."""
    return (lan_https.caddyfile_addresses(Path(instance_path) / "Caddyfile") or lan_addresses()
            or ["localhost"])


def waitress_proxy_options(behind_proxy):
    """waitress options for an HTTPS front on this hub: trust ``X-Forwarded-For/-Proto/-Host`` from 127.0.0.1
    only, one hop (the front's own entry), so the app sees each tablet's address and ``https``; without a
    front, such headers from anyone are dropped."""
    if not behind_proxy:
        return {"clear_untrusted_proxy_headers": True}
    return {"trusted_proxy": "127.0.0.1", "trusted_proxy_count": 1, "clear_untrusted_proxy_headers": True,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}}


def _remember_address(app, host, port):
    """Store the hub's LAN address: as the default resolver base for tag URLs once (setting ``resolver_base``),
    and as the hub's own address at every start (``hub_url``, the base of e-receipts,
    :func:`core.settings.receipt_base`: plain HTTP, which shoppers' phones open without the hub's local CA)."""
    db = connect(app.config["DATABASE"])
    try:
        addresses = lan_addresses() if host in ("0.0.0.0", "", "::") else [host]
        own = f"http://{(addresses or ['localhost'])[0]}:{port}"
        with transaction(db):
            if not get_setting(db, "resolver_base"):
                set_setting(db, "resolver_base", own)
            if get_setting(db, "hub_url") != own:
                set_setting(db, "hub_url", own)
    finally:
        db.close()


@main.command("https-config")
@INSTANCE
@click.option("--port", default=8080, show_default=True, type=int, envvar="RESALE_PORT",
              help="The port the hub (waitress) listens on. Env: RESALE_PORT.")
@click.option("--https-port", default=8443, show_default=True, type=int, envvar="RESALE_HTTPS_PORT")
@click.option("--address", "addresses", multiple=True, help="A LAN address or name tablets open (default: all).")
def https_config(instance, port, https_port, addresses):
    """Write a Caddyfile that serves the hub over HTTPS on the LAN with a local CA (camera scanning on other
    tablets needs HTTPS), and say how to start it."""
    app = _app(instance)
    addresses = list(addresses) or lan_addresses() or ["localhost"]
    try:
        text = lan_https.caddyfile(instance_path=app.instance_path, addresses=addresses, app_port=port,
                                   https_port=https_port)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    path = Path(app.instance_path) / "Caddyfile"
    path.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {path}")
    click.echo("1. Install Caddy (Debian: apt-get install caddy) and start it:")
    click.echo(f"   caddy run --adapter caddyfile --config {path}")
    click.echo("2. Restart the hub so that it trusts the front's forwarded addresses:")
    click.echo(f"   resale-pos serve --port {port} --behind-proxy --https-port {https_port}")
    click.echo("3. On each tablet open the page below, install the certificate, then use the https:// address:")
    for address in addresses:
        click.echo(f"   http://{address}:{port}/connect")


@main.command()
@INSTANCE
@click.option("--shop-name", prompt="Shop name")
@click.option("--owner-name", prompt="Owner name")
@click.option("--pin", prompt="Owner PIN (4-8 digits)", hide_input=True, confirmation_prompt=True)
def init(instance, shop_name, owner_name, pin):
    """Create the instance folder, database, keys and the owner account."""
    shop_name = shop_name.strip()
    if not shop_name or len(shop_name) > 60:
        raise click.BadParameter("enter the shop name (at most 60 characters)", param_hint="--shop-name")
    app = _app(instance)
    db = connect(app.config["DATABASE"])
    try:
        if accounts.has_any_staff(db):
            raise click.ClickException(f"{app.instance_path} is already set up.")
        try:
            accounts.create_first_owner(db, owner_name, pin)
        except Conflict as exc:
            raise click.ClickException(f"{app.instance_path} is already set up.") from exc
        except DomainError as exc:
            raise click.ClickException(str(exc.message)) from exc
        with transaction(db):
            set_setting(db, "shop_name", shop_name)
    finally:
        db.close()
    click.echo(f"Shop set up in {app.instance_path}. Start it with: resale-pos serve")


@main.command()
@INSTANCE
def demo(instance):
    """Load demo data into an empty instance."""
    app = _app(instance)
    if not load_demo(app):
        raise click.ClickException(f"{app.instance_path} already has data; demo data goes into an empty instance.")
    click.echo(f"Demo data loaded into {app.instance_path}. PINs: owner {DEMO_PINS['owner']}, "
               f"cashier {DEMO_PINS['cashier']}.")


@main.command("backup")
@INSTANCE
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup_cmd(instance, path):
    """Copy the live database to PATH (default: a dated file in the instance's backups/). Safe while selling."""
    app = _app(instance)

    dest = path or Path(app.instance_path) / "backups" / f"manual-{clock.now().strftime('%Y%m%d-%H%M%S')}.db"
    backup(app.config["DATABASE"], dest)
    click.echo(f"Backup written to {dest}")


@main.command("restore")
@INSTANCE
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_cmd(instance, path, yes):
    """Replace the database with the backup at PATH after checking it. Stop the server first.

    The checks: SQLite integrity, foreign keys, full-text indexes, every JSON column, the sales journal.
    """
    app = _app(instance)
    checks = restore_checks(app)
    try:
        counts = check_backup(path, checks)
        click.echo(f"{path}: OK, {counts['items']} items, {counts['sales']} sales.")
        if not yes:
            click.confirm("Replace the current database with this backup?", abort=True)
        _counts, safety = restore(path, app.config["DATABASE"], Path(app.instance_path) / "backups", checks)
    except BackupError as exc:
        raise click.ClickException(f"Nothing was changed: {exc}") from exc
    click.echo(f"Restored. The previous database was kept as {safety}.")


@main.command("sync")
@INSTANCE
@click.option("--watch", is_flag=True, help="Keep running: send new events as they come, retry with backoff.")
def sync_cmd(instance, watch):
    """Send pending events to the registry (one pass, ignoring any backoff), or keep doing it (--watch)."""
    app = _app(instance)
    db = connect(app.config["DATABASE"], app.config["BUSY_TIMEOUT_MS"])
    config = registry_config(db, app.config, app.extensions["vault"])
    if not config.get("REGISTRY_URL"):
        db.close()
        raise click.ClickException("The registry is not set (the owner's Settings page, config.toml or "
                                   "RESALE_REGISTRY_URL).")
    try:
        if watch:
            click.echo(f"Sending to {config['REGISTRY_URL']} until stopped (Ctrl+C).")
            try:
                sender.watch(db, config, echo=lambda r: click.echo(
                    f"{r['status']}: {r['sent']} sent, {r['rejected']} rejected"
                    + (f" ({r['error']}; next try in {r['wait']:.0f} s)" if r.get("error") else "")))
            except KeyboardInterrupt:
                pass
            return
        result = sender.sync_once(db, config, force=True)
        left = summary(db, app.config)
        click.echo(f"{result['status']}: {result['sent']} sent, {result['rejected']} rejected, "
                   f"{left['pending']} pending, {left['rejected']} rejected in total.")
        if result["status"] == "offline":
            raise click.ClickException(f"Registry unavailable: {result['error']}")
    finally:
        db.close()


@main.command("verify-journal")
@INSTANCE
def verify_journal_cmd(instance):
    """Check the two hash chains: the sales journal (``sync.journal``) and the audit log (``core.audit``);
    report the first broken link of each (exit status 1) if rows were altered or deleted."""
    app = _app(instance)
    db = connect(app.config["DATABASE"])
    try:
        broken = journal.verify(db)
        links = db.execute("SELECT count(*) FROM sale_journal").fetchone()[0]
        audit_broken = audit.verify(db)
        entries = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    finally:
        db.close()
    if broken is None:
        click.echo(f"Journal intact: {links} sales chained.")
    else:
        click.echo(f"Journal broken at link {broken['seq']} (sale id {broken['sale_id']}, receipt "
                   f"{broken['receipt_no']}): {broken['problem']}.")
    if audit_broken is None:
        click.echo(f"Audit log intact: {entries} entries chained.")
    else:
        click.echo(f"Audit log broken: {audit.describe(audit_broken)}.")
    if broken is not None or audit_broken is not None:
        sys.exit(1)


@main.command("unlock")
@INSTANCE
@click.argument("name", required=False)
def unlock_cmd(instance, name):
    """Clear the PIN lockout of staff member NAME (every account without NAME), on the LAN and on the hub.

    The owner's way back in when a device on the Wi-Fi keeps guessing: run it on the hub (it needs the
    instance folder, which only the hub has). Safe while the server runs.
    """
    app = _app(instance)
    db = connect(app.config["DATABASE"], app.config["BUSY_TIMEOUT_MS"])
    try:
        cleared = accounts.unlock(db, name)
    except DomainError as exc:
        names = ", ".join(s["name"] for s in accounts.list_staff(db))
        raise click.ClickException(f"No staff member is called {name!r}. Staff: {names}.") from exc
    finally:
        db.close()
    if cleared:
        click.echo(f"Unlocked: {', '.join(cleared)}.")
    else:
        click.echo("Nobody was locked out." if name is None else f"{name} was not locked out.")


@main.group()
def registry():
    """The reference registry (a separate app with its own database)."""


REGISTRY_INSTANCE = click.option("--instance", type=click.Path(file_okay=False, path_type=Path), default=None,
                                 help="Registry folder (default $RESALE_REGISTRY_INSTANCE or "
                                      "~/.local/share/resale-registry).")
REGISTRY_DATABASE = click.option("--database-url", envvar="REGISTRY_DATABASE_URL", default=None,
                                 help="postgresql://… (a city's registry) or sqlite:///… (default: registry.db "
                                      "in the registry folder); also $REGISTRY_DATABASE_URL.")


def _registry_app(instance, database_url, **config):
    """The registry app for a command: its folder and database URL when given, and ``config``."""
    if instance:
        config["INSTANCE_PATH"] = str(instance)
    if database_url:
        config["DATABASE_URL"] = database_url
    return registry_app.create_registry_app(config)


def _register(app, name, role):
    """Register a shop or authority in the app's database; returns ``(id, token)``."""
    db = app.extensions["registry_backend"].connect()
    try:
        return store.add_shop(db, name.strip()[:60], role=role)
    finally:
        db.close()


def _setting_option(option, name, help_text, metavar):
    """A ``registry serve`` option for setting ``name`` of :data:`registry.settings.SETTINGS`, also read from
    ``RESALE_REGISTRY_<name>``; a value that cannot be used is a usage error (exit status 2) naming the option,
    never echoing the value (a storage URI may carry a password). Checked only when the command runs, so the
    ``registry`` package loads for the registry's commands only."""

    def checked(_ctx, _param, value):
        if value is None or value == "":
            return None
        try:
            return registry_settings.check(name, value)
        except registry_settings.SettingError as exc:
            raise click.BadParameter(f"{exc.problem} (also $RESALE_REGISTRY_{name}).") from None

    return click.option(option, name, envvar=f"RESALE_REGISTRY_{name}", callback=checked, default=None,
                        metavar=metavar, help=f"{help_text} Env: RESALE_REGISTRY_{name}.")


@registry.command("serve")
@REGISTRY_INSTANCE
@REGISTRY_DATABASE
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8090, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@_setting_option("--public-url", "PUBLIC_URL", "The registry's public base URL (https://registry.city.example): "
                 "item URIs and links are built from it, never from a request's Host.", "URL")
@_setting_option("--trusted-proxy", "TRUSTED_PROXY", "The load balancer's address as the registry sees it, or * "
                 "(any peer): believe its X-Forwarded-For/-Proto. Without it they are dropped.", "ADDRESS")
@_setting_option("--trusted-proxy-count", "TRUSTED_PROXY_COUNT", "Proxies in front that add to X-Forwarded-For "
                 "(default 1; with --trusted-proxy).", "N")
@_setting_option("--ratelimit-storage-uri", "RATELIMIT_STORAGE_URI", "Rate-limit counts: memory:// (default, per "
                 "process) or one redis://… / memcached://… store shared by all processes.", "URI")
@_setting_option("--feed-anonymous-rate", "FEED_ANONYMOUS_RATE", "Feed requests without a valid key, per client "
                 "address (default 30/minute).", "RATE")
@_setting_option("--reserve-rate", "RESERVE_RATE", "Reserve POSTs per client address (default 5/minute;20/day).",
                 "RATE")
@_setting_option("--reserve-shop-rate", "RESERVE_SHOP_RATE", "Reserve POSTs per shop (default 30/minute;300/day).",
                 "RATE")
@_setting_option("--reserve-active-per-client", "RESERVE_ACTIVE_PER_CLIENT", "Most active reservations per client "
                 "address (default 3).", "N")
def registry_serve(instance, database_url, host, port, threads, **given):
    """Serve the registry with waitress (put it behind a TLS-terminating proxy on the internet; on PostgreSQL
    run several, on one or more machines, behind a load balancer: they share nothing but the database).
    Settings: docs/registry.md (each option also as RESALE_REGISTRY_<NAME>)."""
    if given["TRUSTED_PROXY_COUNT"] is not None and given["TRUSTED_PROXY"] is None:
        raise click.UsageError("--trusted-proxy-count needs --trusted-proxy (the load balancer's address).")
    app = _registry_app(instance, database_url, **{s.name: given[s.name] for s in registry_settings.SETTINGS
                                                   if s.app and given[s.name] is not None})
    proxy = registry_settings.waitress_options(given["TRUSTED_PROXY"], given["TRUSTED_PROXY_COUNT"] or 1)
    where = app.config["DATABASE"] or "PostgreSQL"  # never the URL: it may carry a password
    click.echo(f"Registry on http://{host}:{port}/ — data in {where}")
    click.echo("Public URL: " + (app.config.get("PUBLIC_URL") or "none set (links follow each request's Host)"))
    if "trusted_proxy" in proxy:
        click.echo(f"Client addresses from X-Forwarded-For of {proxy['trusted_proxy']}, "
                   f"{proxy['trusted_proxy_count']} prox{'y' if proxy['trusted_proxy_count'] == 1 else 'ies'}.")
    waitress_serve(app, host=host, port=port, threads=threads, ident="resale-registry", **proxy)


@registry.command("add-shop")
@REGISTRY_INSTANCE
@REGISTRY_DATABASE
@click.option("--name", prompt="Shop name", help="The shop's public name (shown on provenance pages).")
def registry_add_shop(instance, database_url, name):
    """Register a shop and print the bearer token its hub puts in REGISTRY_TOKEN."""
    shop_id, token = _register(_registry_app(instance, database_url), name, "shop")
    click.echo(f"Shop {shop_id} ({name}) registered. Token (shown once): {token}")


@registry.command("add-authority")
@REGISTRY_INSTANCE
@REGISTRY_DATABASE
@click.option("--name", prompt="Authority name", help="E.g. the police station that reports stolen goods.")
def registry_add_authority(instance, database_url, name):
    """Register an authority (may report goods stolen and mark them recovered) and print its token."""
    authority_id, token = _register(_registry_app(instance, database_url), name, "authority")
    click.echo(f"Authority {authority_id} ({name}) registered. Token (shown once): {token}")


@registry.command("add-platform")
@REGISTRY_INSTANCE
@REGISTRY_DATABASE
@click.option("--name", prompt="Platform name", help="The platform that reads the catalogue feed (/api/v1).")
@click.option("--rate", default="60/minute", show_default=True, help="Its rate limit (e.g. 600/hour; Flask-Limiter).")
def registry_add_platform(instance, database_url, name, rate):
    """Register a platform for the catalogue feed and print its API key (X-API-Key; shown once)."""
    app = _registry_app(instance, database_url)
    db = app.extensions["registry_backend"].connect()
    try:
        key = registry_catalogue.add_platform(db, name, rate)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.close()
    click.echo(f"Platform {name} registered, {rate}. API key (shown once): {key}")


@registry.command("list-platforms")
@REGISTRY_INSTANCE
@REGISTRY_DATABASE
def registry_list_platforms(instance, database_url):
    """List the feed's platform keys, oldest first: key id, name, rate limit, when made, live or revoked (never
    a secret: a lost key is revoked and a new one added)."""
    app = _registry_app(instance, database_url)
    db = app.extensions["registry_backend"].connect()
    try:
        rows = registry_catalogue.platforms(db)
    finally:
        db.close()
    if not rows:
        click.echo("No platform keys. Add one with: resale-pos registry add-platform --name …")
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "live"
        click.echo(f"rpk_{row['key_id']}  {row['name']}  {row['rate_limit']}  made {row['created_at']}  {state}")


@registry.command("revoke-platform")
@REGISTRY_INSTANCE
@REGISTRY_DATABASE
@click.argument("key")
def registry_revoke_platform(instance, database_url, key):
    """Revoke a platform's feed API key: KEY is its key id (the 12 hex digits after rpk_; list-platforms shows
    them) or the whole key add-platform printed. From then on the key gets 401 from every registry process (a row: no restart).
    Exit status 1 when no live key has that id."""
    text = key.strip()
    parts = registry_catalogue.split_key(text)
    key_id = parts[0] if parts else text.removeprefix("rpk_")
    if not (len(key_id) == 12 and all(c in "0123456789abcdef" for c in key_id)):
        raise click.BadParameter("give the key id (12 hex digits, as in rpk_<key id>.…) or the whole key.",
                                 param_hint="KEY")
    app = _registry_app(instance, database_url)
    db = app.extensions["registry_backend"].connect()
    try:
        revoked = registry_catalogue.revoke_platform(db, key_id)
    finally:
        db.close()
    if not revoked:
        raise click.ClickException(f"No live platform key has the id {key_id} (unknown, or revoked already).")
    click.echo(f"Platform key rpk_{key_id} revoked: the feed answers it 401 from now on.")


if __name__ == "__main__":
    main()

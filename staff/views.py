"""Staff routes: first-run setup, PIN login, logout, and the owner's staff list."""

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l

from core import clock
from core.db import get_db, transaction
from core.errors import Conflict, DomainError
from core.settings import get_setting, set_setting
from core.web import add_nav, is_background_request, public, render, role_required
from staff import accounts

bp = Blueprint("staff", __name__)


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """First run on an empty instance: shop name and the owner's name and PIN."""
    db = get_db()
    if accounts.has_any_staff(db):
        return redirect(url_for("staff.login"))
    form = request.form
    errors = {}
    if request.method == "POST":
        shop_name = (form.get("shop_name") or "").strip()
        if not shop_name or len(shop_name) > 60:
            errors["shop_name"] = _l("Enter the shop name (at most 60 characters).")
        # check every field, so one answer shows all that is wrong (each under its own field)
        for field, check in (("owner_name", accounts.validate_name), ("pin", accounts.validate_pin)):
            try:
                check(form.get(field))
            except DomainError as exc:
                errors[field] = exc.message
        if "pin" not in errors and form.get("pin") != form.get("pin2"):
            errors["pin2"] = _l("The two PINs differ.")
        if not errors:
            try:
                staff_id = accounts.create_first_owner(db, form["owner_name"], form["pin"])
            except Conflict:  # another tablet finished set-up a moment earlier
                return redirect(url_for("staff.login"))
            with transaction(db):
                set_setting(db, "shop_name", shop_name)
            _start_session(accounts.get_staff(db, staff_id))
            return redirect(url_for("inventory.intake"))
    return render("staff/setup.html", form=form, errors=errors, status=422 if errors else 200)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Tap your name, type your PIN."""
    db = get_db()
    if not accounts.has_any_staff(db):
        return redirect(url_for("staff.setup"))
    error = None
    chosen = request.values.get("staff_id", type=int)
    if request.method == "POST":
        try:
            staff = accounts.verify_login(
                db, chosen, request.form.get("pin"),
                attempts=current_app.config["LOCKOUT_ATTEMPTS"],
                lock_minutes=current_app.config["LOCKOUT_MINUTES"],
            )
        except DomainError as exc:
            error = exc.message
        else:
            _start_session(staff)
            target = request.args.get("next") or ""
            if not target.startswith("/") or target.startswith("//") or "\\" in target:
                target = url_for("pos.till")
            return redirect(target)
    return render("staff/login.html", staff=accounts.list_staff(db), chosen=chosen, error=error,
                  demo_mode=get_setting(db, "demo"),
                  status=401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session (the cart stays on the server for the next login)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("staff.login"))


@bp.route("/staff", methods=["GET", "POST"])
@role_required("owner")
def staff_list():
    """The owner adds cashiers (and other owners)."""
    db = get_db()
    errors = {}
    if request.method == "POST":
        try:
            accounts.create_staff(db, request.form.get("name"), request.form.get("role"), request.form.get("pin"))
        except DomainError as exc:
            errors[exc.field or "name"] = exc.message
        else:
            flash(_l("Staff member added."), "success")
            return redirect(url_for("staff.staff_list"))
    return render("staff/list.html", staff=accounts.list_staff(db), errors=errors, form=request.form,
                  status=422 if errors else 200)


def _start_session(staff):
    lang = session.get("lang")
    session.clear()
    session.permanent = True
    session["staff_id"] = staff["id"]
    session["last_seen"] = clock.iso()
    if lang:
        session["lang"] = lang


def load_staff():
    """Before each request: put the logged-in staff member in ``g.staff``, expiring idle sessions.

    Returns the staff dict, or ``None`` when nobody is logged in or the session idled out.
    """
    staff_id = session.get("staff_id")
    if not staff_id:
        return None
    last_seen = session.get("last_seen")
    idle = current_app.config["IDLE_TIMEOUT_MINUTES"] * 60
    if not last_seen or (clock.now() - clock.parse(last_seen)).total_seconds() > idle:
        session.pop("staff_id", None)
        return None
    staff = accounts.get_staff(get_db(), staff_id)
    if staff is None:
        session.pop("staff_id", None)
        return None
    if not is_background_request():  # a badge polling every 10 s is not someone using the tablet
        session["last_seen"] = clock.iso()
    g.staff = staff
    return staff


def register(app):
    """Register the blueprint and its navigation entry."""
    app.register_blueprint(bp)
    add_nav(app, "staff.staff_list", _l("Staff"), icon="👥", roles=("owner",), order=90)

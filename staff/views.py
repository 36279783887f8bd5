"""Staff routes: first-run setup, PIN login, logout, and the owner's staff list."""

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l

from core import clock
from core.db import get_db, transaction
from core.errors import Conflict
from core.forms import field_errors, first_error, submit
from core.settings import get_setting, set_setting
from core.web import add_nav, is_background_request, local_path, owner_only, public, render, staff_only
from staff import accounts
from staff.forms import LoginForm, SetupForm, StaffForm

bp = Blueprint("staff", __name__)


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """First run on an empty instance: shop name and the owner's name and PIN."""
    db = get_db()
    if accounts.has_any_staff(db):
        return redirect(url_for("staff.login"))
    form = SetupForm()
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda: _create_shop(db, form))
        if outcome.ok:
            if outcome.value is None:  # another tablet finished set-up a moment earlier
                return redirect(url_for("staff.login"))
            _start_session(accounts.get_staff(db, outcome.value))
            return redirect(url_for("inventory.intake"))
        status = outcome.status
    return render("staff/setup.html", form=form, errors=field_errors(form), status=status)


def _create_shop(db, form):
    """The first owner and the shop's name; ``None`` when another tablet created the owner first."""
    try:
        staff_id = accounts.create_first_owner(db, form.owner_name.data, form.pin.data)
    except Conflict:
        return None
    with transaction(db):
        set_setting(db, "shop_name", form.shop_name.data)
    return staff_id


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Tap your name, type your PIN."""
    db = get_db()
    if not accounts.has_any_staff(db):
        return redirect(url_for("staff.setup"))
    error = None
    form = LoginForm(formdata=request.form if request.method == "POST" else request.args)
    chosen = form.staff_id.data
    if request.method == "POST":
        outcome = submit(form, lambda: accounts.verify_login(
            db, chosen, form.pin.data, attempts=current_app.config["LOCKOUT_ATTEMPTS"],
            lock_minutes=current_app.config["LOCKOUT_MINUTES"]))
        if not outcome.ok:
            error = first_error(form)
        else:
            _start_session(outcome.value)
            return redirect(local_path(request.args.get("next")) or url_for("pos.till"))
    return render("staff/login.html", staff=accounts.list_staff(db), chosen=chosen, error=error,
                  demo_mode=get_setting(db, "demo"),
                  status=401 if error else 200)


@bp.route("/logout", methods=["POST"])
@staff_only
def logout():
    """End the session (the cart stays on the server for the next login)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("staff.login"))


@bp.route("/staff", methods=["GET", "POST"])
@owner_only
def staff_list():
    """The owner adds cashiers (and other owners)."""
    db = get_db()
    form = StaffForm()
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda: accounts.create_staff(db, form.name.data, form.role.data, form.pin.data),
                         "name")
        if outcome.ok:
            flash(_l("Staff member added."), "success")
            return redirect(url_for("staff.staff_list"))
        status = 422
    return render("staff/list.html", staff=accounts.list_staff(db), errors=field_errors(form), form=form,
                  status=status)


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

"""Staff routes: first-run setup, PIN login, logout, changing one's own PIN, and the owner's staff list
(add, remove, unlock, new PIN).

Sessions are server-side rows (:mod:`staff.sessions`): the cookie holds a token, checked on every request by
:func:`load_staff`, so logout, idle expiry, a PIN change and removal end a session for good. Wrong PINs are
limited per client (:mod:`core.limits`) on top of the per-account lockout; PINs typed on the hub itself
count apart (:data:`staff.accounts.LOCK_COLUMNS`)."""

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l

from core import clock
from core.db import get_db, transaction
from core.errors import Conflict
from core.forms import field_errors, first_error, submit
from core.limits import pin_attempts, pin_check_options
from core.settings import get_setting, set_setting
from core.web import (
    add_nav,
    add_settings_link,
    is_background_request,
    local_path,
    owner_only,
    public,
    render,
    staff_only,
)
from staff import accounts, sessions
from staff.forms import LoginForm, PinChangeForm, PinResetForm, SetupForm, StaffActionForm, StaffForm

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
@pin_attempts
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
            db, chosen, form.pin.data, **pin_check_options()))
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
    """End the session, here and on the server (a copy of the cookie stops working too); the cart stays on
    the server for the next login."""
    sessions.end(get_db(), session.get("sid"), "logout")
    _clear_session()
    return redirect(url_for("staff.login"))


def _clear_session():
    """Forget everything in the cookie but the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/pin", methods=["GET", "POST"])
@staff_only
@pin_attempts
def change_pin():
    """Change your own PIN (current PIN, new PIN twice). Every other session of yours ends; this device
    gets a fresh one."""
    db = get_db()
    form = PinChangeForm()
    status = 200
    if request.method == "POST":
        me = g.staff
        outcome = submit(form, lambda: accounts.change_own_pin(
            db, me["id"], form.current.data, form.pin.data, form.pin2.data,
            **pin_check_options()), "pin")
        if outcome.ok:
            _start_session(me)
            flash(_l("PIN changed. Other devices logged in as you are logged out."), "success")
            return redirect(url_for("pos.till"))
        status = outcome.status
    return render("staff/pin.html", form=form, errors=field_errors(form), status=status)


@bp.route("/staff", methods=["GET", "POST"])
@owner_only
def staff_list():
    """The owner adds cashiers (and other owners)."""
    db = get_db()
    form = StaffForm()
    status = 200
    if request.method == "POST":
        outcome = submit(form, lambda: accounts.create_staff(db, form.name.data, form.role.data, form.pin.data,
                                                                by_staff_id=g.staff["id"]), "name")
        if outcome.ok:
            flash(_l("Staff member added."), "success")
            return redirect(url_for("staff.staff_list"))
        status = 422
    return _staff_page(db, form=form, errors=field_errors(form), status=status)


def _staff_page(db, form=None, errors=None, status=200, pin_errors=None):
    return render("staff/list.html", staff=accounts.list_staff(db), errors=errors or {}, form=form or StaffForm(
        formdata=None), pin_errors=pin_errors or {}, action_form=StaffActionForm(formdata=None), status=status)


@bp.route("/staff/<int:staff_id>/remove", methods=["POST"])
@owner_only
def staff_remove(staff_id):
    """Remove a staff member: they cannot log in any more and their open sessions end now."""
    db = get_db()
    return _staff_action(lambda: accounts.remove_staff(db, staff_id, g.staff["id"]),
                         _l("Staff member removed; their sessions have ended."))


@bp.route("/staff/<int:staff_id>/unlock", methods=["POST"])
@owner_only
def staff_unlock(staff_id):
    """Clear a staff member's lockout (LAN and hub) after too many wrong PINs."""
    db = get_db()
    return _staff_action(lambda: accounts.unlock(db, staff_id=staff_id, by_staff_id=g.staff["id"]), _l("Unlocked."))


def _staff_action(action, done):
    """A button on the staff list (CSRF only): run ``action``, flash ``done`` or its error, back to the list."""
    outcome = submit(StaffActionForm(), action)
    if outcome.ok:
        flash(done, "success")
    elif outcome.error is not None:
        flash(outcome.error.message, "error")
    return redirect(url_for("staff.staff_list"))


@bp.route("/staff/<int:staff_id>/pin", methods=["POST"])
@owner_only
def staff_set_pin(staff_id):
    """Give a staff member a new PIN (forgotten, or seen by someone else); their sessions end."""
    db = get_db()
    form = PinResetForm()
    outcome = submit(form, lambda: accounts.set_pin(db, staff_id, form.pin.data, by_staff_id=g.staff["id"]), "pin")
    if outcome.ok:
        flash(_l("New PIN set; their sessions have ended."), "success")
        return redirect(url_for("staff.staff_list"))
    return _staff_page(db, pin_errors={staff_id: first_error(form)}, status=outcome.status)


def _start_session(staff):
    """Open a server-side session for ``staff`` and put its token in a fresh cookie (language kept). A session
    this browser still had (someone logging in over another's session) is ended first, not left open."""
    sessions.end(get_db(), session.get("sid"), "logout")
    _clear_session()
    session.permanent = True
    session["sid"] = sessions.start(get_db(), staff["id"], current_app.permanent_session_lifetime)
    session["staff_id"] = staff["id"]
    session["last_seen"] = clock.iso()


def load_staff():
    """Before each request: put the logged-in staff member in ``g.staff``, expiring idle sessions.

    The cookie's token must name an open server-side session of an active account (:mod:`staff.sessions`);
    an idle one is ended on the server too. Returns the staff dict, or ``None`` when nobody is logged in.
    """
    token = session.get("sid")
    if not token or not session.get("staff_id"):
        return None
    db = get_db()
    last_seen = session.get("last_seen")
    idle = current_app.config["IDLE_TIMEOUT_MINUTES"] * 60
    if not last_seen or (clock.now() - clock.parse(last_seen)).total_seconds() > idle:
        sessions.end(db, token, "idle")
        _clear_session()
        return None
    staff = sessions.staff_for(db, token, current_app.permanent_session_lifetime)
    if staff is None or staff["id"] != session.get("staff_id"):
        _clear_session()
        return None
    if not is_background_request():  # a badge polling every 10 s is not someone using the tablet
        session["last_seen"] = clock.iso()
    g.staff = staff
    return staff


def register(app):
    """Register the blueprint and its navigation entry."""
    app.register_blueprint(bp)
    # the staff list is reached from the owner's settings page (one row of navigation at 1280 px)
    add_settings_link(app, "staff.staff_list", _l("Staff"), _l("Cashiers and owners, their PINs"), order=30)
    add_nav(app, "staff.change_pin", _l("My PIN"), icon="staff", order=95)

"""The staff area: sign-in, exports, the audit trail, summaries and accounts. English-only for now.

Every route is guarded in one place (`guard` below), so a new route cannot forget the check. Each
view declares who may use it with `@access(...)` beside its route:

    @bp.get("/export")
    @access(ANALYST)
    def export(): ...

A route that declares nothing is for admins only, so forgetting fails closed.
"""

from flask import Blueprint, current_app, g, has_request_context, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from app.staff.summaries.tables import TooSlow

bp = Blueprint("staff", __name__, url_prefix="/staff")

# Who may use a route. Which roles have each level: LEVELS in app/staff/auth/accounts.py.
ANYONE = "anyone"  # the sign-in page
PASSWORD_GIVEN = "password_given"  # the two-factor steps and signing out: a session, second factor or not
SIGNED_IN = "signed_in"  # both factors given, any role: the staff home, signing out everywhere
VIEWER, ANALYST = "viewer", "analyst"  # the data: summaries (viewers), and exports (analysts)
EDITOR = "editor"  # the survey itself: its files, preview, dates and published results; no data
ADMIN = "admin"  # everything, and accounts and the audit trail
DEFAULT_ACCESS = ADMIN


def access(level: str):
    """Declare who may use a staff view (the guard reads it). Works above or below the route decorator."""

    def declare(view):
        view.staff_access = level
        return view

    return declare


def access_for(endpoint: str | None) -> str:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "staff_access", DEFAULT_ACCESS)


def english_for_staff(select_locale):
    """Wrap the public locale selector: staff pages are English until their strings are translated,
    except a preview of the survey, which is in the survey's own languages."""

    def select():
        # A preview of the survey (app/staff/preview_views.py) is in the survey's own languages.
        if has_request_context() and request.blueprint == "staff" and g.get("preview_file_id") is None:
            return "en"
        return select_locale()

    return select


@bp.before_request
def guard():
    """Every staff route: a post's CSRF token bound to the staff cookie; the session from the staff
    cookie, still live on the server, with the second factor done (unless the route is a step of
    signing in), and a role that the route allows."""
    from app.staff.auth import csrf, has_role, sessions

    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        csrf.check()  # before anything else: a forged or stale form costs no database query
    needed = access_for(request.endpoint)
    row, expired = sessions.current()
    g.staff_session = row
    g.staff_user = row.user if row else None
    if needed == ANYONE:
        return None
    if row is None:
        return redirect(url_for("staff.login", expired=1) if expired else url_for("staff.login"))
    if needed == PASSWORD_GIVEN:
        return None
    if not row.two_factor_done:
        return redirect(url_for("staff.two_factor"))
    if not has_role(row.user, needed):
        if request.endpoint == "staff.dashboard":  # /staff, the front door: an editor's starts elsewhere
            from app.staff.views import home_url

            return redirect(home_url(row.user))
        return render_template("staff/error.html", title=_("You do not have access to this page")), 403
    return None


@bp.after_request
def give_staff_cookie(response):
    from app.staff.auth import csrf

    return csrf.give_cookie(response)


@bp.context_processor
def staff_context():
    """Templates: the member of staff signed in (second factor done), or None."""
    from app.staff.auth import csrf, has_role

    row = g.get("staff_session")
    user = row.user if row is not None and row.two_factor_done else None
    from app.staff.views import home_url

    return {
        "staff_user": user,
        "home_url": home_url(user) if user is not None else url_for("staff.login"),
        "may_open": lambda endpoint: (
            user is not None and endpoint in current_app.view_functions and has_role(user, access_for(endpoint))
        ),
        "csrf_token": csrf.token,  # in place of Flask-WTF's, which lives in the respondents' session
    }


@bp.errorhandler(CSRFError)
def csrf_error(error):
    return render_template("staff/error.html", title=_("Sorry, that form has expired"), csrf=True), 400


@bp.errorhandler(404)
def not_found(error):
    """A survey file, preview or account that does not exist: a staff page, not the public one."""
    return render_template("staff/error.html", title=_("Page not found"),
                           message=_("It may have been mistyped, or what it showed no longer exists.")), 404


@bp.errorhandler(TooSlow)
def too_slow(error):
    # Nothing is wrong and waiting will not help: the figures are counted from every answer.
    return render_template(
        "staff/error.html", title=_("That page would take too long to count"),
        message=_("Within two groups, and for a breakdown within a group, the figures are counted from every "
                  "answer, and there are too many responses to do that while you wait. Choose one group, whose "
                  "figures are kept up to date, or download the responses from the export page."),
    ), 503


from app.staff import accounts_views, export_views, preview_views, results_views, summary_views, survey_views, views  # noqa: E402,F401  (routes register on import)

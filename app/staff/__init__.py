"""The staff area: sign-in, exports, the audit trail and summaries. English-only for now.

Every route is guarded in one place (`guard` below), so a new route cannot forget the check.
"""

from flask import Blueprint, current_app, has_request_context, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError

bp = Blueprint("staff", __name__, url_prefix="/staff")

OPEN_ENDPOINTS = {"staff.login"}  # the only staff page an anonymous visitor may see
LAST_SEEN = "staff_last_seen"  # Unix time of the last staff request, in the signed session cookie


def english_for_staff(select_locale):
    """Wrap the public locale selector: staff pages are English until their strings are translated."""

    def select():
        if has_request_context() and request.blueprint == "staff":
            return "en"
        return select_locale()

    return select


@bp.before_request
def guard():
    """Every staff route: a signed-in, active account whose session has not been idle too long."""
    from app.staff import audit, auth

    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("staff.login"))
    at = auth.now()
    if auth.idle_too_long(session.get(LAST_SEEN), current_app.config["STAFF_IDLE_MINUTES"], at):
        audit.record(audit.SESSION_EXPIRED, current_user.username)
        logout_user()
        session.clear()
        return redirect(url_for("staff.login", expired=1))
    session[LAST_SEEN] = int(at.timestamp())
    return None


@bp.errorhandler(CSRFError)
def csrf_error(error):
    return render_template("staff/error.html", title=_("Sorry, that form has expired"), csrf=True), 400


from app.staff import export_views, summary_views, views  # noqa: E402,F401  (routes register on import)

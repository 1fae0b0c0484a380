"""The admin page for staff accounts: list, create, disable or enable, change role, reset two-factor,
unlock two-factor codes, end sessions. Thin: each action calls the same function as the command line (app/staff/auth/accounts.py)."""

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import StaffSession
from app.staff import ADMIN, access, auth, bp
from app.staff.forms import AccountActionForm, AccountForm

# Each button's action: what it calls and what the page then says.
ACTIONS = {
    "created": (None, "Created the account %(username)s."),
    "role": (None, "The role of %(username)s is changed; their sessions have ended."),
    "disable": (auth.disable_user, "The account %(username)s is disabled and its sessions have ended."),
    "enable": (auth.enable_user, "The account %(username)s can sign in again."),
    "reset-two-factor": (auth.reset_two_factor, "Two-factor sign-in for %(username)s is reset: they set it up again when they next sign in."),
    "unlock-codes": (auth.unlock_codes, "%(username)s can enter two-factor codes again; their sessions have ended."),
    "end-sessions": (auth.end_sessions, "Every session of %(username)s has ended."),
}


def _page(form: AccountForm, done: str | None = None, status: int = 200, problem: str | None = None):
    open_sessions = dict(
        db.session.execute(
            select(StaffSession.user_id, func.count()).where(StaffSession.two_factor_done.is_(True)).group_by(StaffSession.user_id)
        ).all()
    )
    return (
        render_template(
            "staff/accounts.html",
            form=form,
            users=auth.list_users(),
            open_sessions=open_sessions,
            roles=auth.ROLES,
            action_form=AccountActionForm(formdata=None),
            done=done,
            problem=problem,
            codes_locked=auth.codes_locked,
        ),
        status,
    )


@bp.get("/accounts")
@access(ADMIN)
def accounts():
    # The message is chosen from our own list, so a link cannot put other words on this page.
    done, user = ACTIONS.get(request.args.get("done", "")), auth.find_user(request.args.get("account", ""))
    message = _(done[1], username=user.username) if done and user else None
    return _page(AccountForm(formdata=None), done=message)


@bp.post("/accounts")
@access(ADMIN)
def create_account():
    form = AccountForm()
    if not form.validate():
        return _page(form, status=400)
    try:
        user = auth.create_user(form.username.data, form.password.data, form.role.data, actor=g.staff_user.username)
    except auth.AccountError as error:
        field = form.password if "password" in str(error).lower() else form.username
        field.errors = [str(error)]
        return _page(form, status=400)
    return redirect(url_for("staff.accounts", done="created", account=user.username), 303)


@bp.post("/accounts/<username>/role")
@access(ADMIN)
def set_account_role(username: str):
    if not AccountActionForm().validate() or request.form.get("role") not in auth.ROLES or not auth.find_user(username):
        abort(400)
    try:
        user = auth.set_role(username, request.form["role"], actor=g.staff_user.username)
    except auth.AccountError as error:  # their own role, or the last admin's
        return _page(AccountForm(formdata=None), status=400, problem=str(error))
    return redirect(url_for("staff.accounts", done="role", account=user.username), 303)


@bp.post("/accounts/<username>/<action>")
@access(ADMIN)
def account_action(username: str, action: str):
    if ACTIONS.get(action, (None,))[0] is None or not auth.find_user(username) or not AccountActionForm().validate():
        abort(404 if ACTIONS.get(action, (None,))[0] is None else 400)
    change = ACTIONS[action][0]
    name = auth.find_user(username).username
    try:
        change(name, actor=g.staff_user.username)
    except auth.AccountError as error:  # disabling their own account, or the last admin
        return _page(AccountForm(formdata=None), status=400, problem=str(error))
    return redirect(url_for("staff.accounts", done=action, account=name), 303)

"""`/healthz` for load balancers: 200 when this process can reach the database, 503 when not.

A plain GET with no session, no cookie, no template: cheap enough to poll every few seconds.
"""

from flask import Blueprint, Flask

from app.database import check_database

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    if check_database():
        return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return "database unavailable\n", 503, {"Content-Type": "text/plain; charset=utf-8"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

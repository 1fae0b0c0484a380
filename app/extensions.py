"""Flask extensions, created unbound so create_app() can configure them."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()  # staff only; the public survey has no accounts
login_manager.login_view = "staff.login"
# "basic"/"strong" protection keeps a hash of the address and user agent: none is kept, even for staff.
login_manager.session_protection = None

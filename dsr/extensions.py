"""Extension singletons, bound to the app in :func:`dsr.create_app` (no app import here)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base with stable constraint names, so migrations stay diffable."""

    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    # Flask-SQLAlchemy builds ``db.Model`` at run time from Base (same metadata and registry, plus the
    # session binding); a type checker cannot see through that, so to it the models derive from Base.
    class Model(Base):
        """The base of every model (``db.Model``), as the type checker sees it."""

        __abstract__ = True
else:
    Model = db.Model

migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()

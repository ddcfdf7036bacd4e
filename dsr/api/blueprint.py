"""The API's blueprint, which every part of dsr/api adds its routes to."""
from __future__ import annotations

from flask import Blueprint

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)

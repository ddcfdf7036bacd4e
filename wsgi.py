"""WSGI entry point: ``gunicorn wsgi:app``, ``flask --app wsgi ...``."""
import sys

from dsr import create_app
from dsr.config import ConfigError

#: gunicorn's exit code for "the app failed to load" (Arbiter.APP_LOAD_ERROR): its master stops
#: instead of starting the worker again and again. Any other caller just sees a non-zero exit.
APP_LOAD_ERROR = 4

try:
    app = create_app()
except ConfigError as exc:
    # A mistyped or bad DSR_* setting is the operator's to fix: one line saying which, not a traceback.
    print(f"dsr: configuration error: {exc}", file=sys.stderr, flush=True)
    sys.exit(APP_LOAD_ERROR)

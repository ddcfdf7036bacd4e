"""Settings: defaults here, overridden by ``DSR_*`` environment variables, then by a mapping.

Operators configure dsr only through the environment (twelve-factor); tests pass a mapping to
:func:`dsr.create_app`. Short names such as ``DSR_DATABASE_URL`` map onto the Flask/extension keys.
"""
from __future__ import annotations

import os
from pathlib import Path

#: The catalogues live at the top level of the project, next to ``templates/``; an installed wheel
#: carries them as dsr/_translations (pyproject.toml).
_TOP = Path(__file__).resolve().parent.parent
TRANSLATIONS_DIR = _TOP / "translations" if (_TOP / "translations").is_dir() else \
    Path(__file__).with_name("_translations")

#: Environment names (after the ``DSR_`` prefix) that map onto another config key.
ALIASES = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
}


def defaults(instance_path: str) -> dict:
    """The built-in settings: a laptop-friendly SQLite database in ``instance/`` and local Redis."""
    return {
        "SECRET_KEY": None,  # required outside debug/testing; see load_environment
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(Path(instance_path) / "dsr.sqlite"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "RQ_QUEUE": "dsr",
        # Mail: the demo launcher points these at its local sink.
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 8025,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_DEFAULT_SENDER": "AVG-verzoeken ASG <avg@asg.nl>",
        "MAIL_TIMEOUT": 20,
        "MAIL_CA_FILE": None,
        #: Directory the demo SMTP sink writes .eml files to; shown to admins at /admin/mail.
        "DEMO_MAILBOX": None,
        # Files (uploads, packages, letters): encrypted at rest, outside the web root.
        "FILE_KEYS": [],  # JSON list of Fernet keys, newest first; the demo launcher generates one
        "FILE_STORAGE": None,  # default: instance/files
        "UPLOAD_MAX_BYTES": 10 * 1024 * 1024,
        # Fulfilment (docs/fulfilment.md): how long download links work. The judicial route in refusal
        # letters is not a setting here: it is per school (School.appeal_route), confirmed by the privacy officer.
        "PACKAGE_LINK_DAYS": 7,
        "LETTER_LINK_DAYS": 30,
        # Public site
        "ORGANISATION_NAME": "Almeerse Scholen Groep",
        #: Postal address on letters and for a bezwaar (the privacy statement's "Contact").
        "ORGANISATION_POSTAL_ADDRESS": "Postbus 60276, 1320 AH Almere",
        "PRIVACY_OFFICER_EMAIL": "ibp@asg.nl",
        "PUBLIC_BASE_URL": None,  # used for links in mails; falls back to the request host
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 512 * 1024,
        "CONFIRM_LINK_MAX_AGE_DAYS": 14,
        # The requester portal "Mijn verzoek" (docs/security.md): magic links, its own session timeouts.
        "PORTAL_LINK_MINUTES": 60,  # a link from the "Mijn verzoek" page
        "PORTAL_NOTICE_LINK_DAYS": None,  # a link in a mail about news; None: CONFIRM_LINK_MAX_AGE_DAYS
        "PORTAL_LINKS_PER_HOUR": 5,  # links per case per hour from the "Mijn verzoek" page
        "PORTAL_SESSION_IDLE_SECONDS": 15 * 60,
        "PORTAL_SESSION_ABSOLUTE_SECONDS": 4 * 3600,
        "PORTAL_MAX_UPLOADS": 20,  # files per case
        # The student's consent page (R-CH-3/4): how long the link works, the session's idle timeout.
        "CONSENT_LINK_MAX_AGE_DAYS": 90,
        "CONSENT_SESSION_IDLE_SECONDS": 15 * 60,
        # Legal settings (see docs/legal.md)
        "TIMEZONE": "Europe/Amsterdam",
        "SUSPENSION_MAX_WORKING_DAYS": 3,
        "INFORMATION_ANSWER_DAYS": 14,  # R-ID-6: the answer-by date of an information request
        "CHILD_REQUEST_NEEDS_CONFIRMATION": True,
        "REMINDER_WORKING_DAYS": [10, 5],
        # R-AC-4: case files are anonymised this many years after closing.
        "CASE_RETENTION_YEARS": 5,
        # Outbox: how long a claimed row is left alone before the re-drive may try it again.
        "OUTBOX_CLAIM_SECONDS": 300,
        "OUTBOX_REDRIVE_AFTER_SECONDS": 30,
        "OUTBOX_MAX_BACKOFF_SECONDS": 3600,
        # Scheduler intervals in seconds (dsr/scheduler.py): mail re-drive, deadline sweep, retention.
        "SCHEDULER_REDRIVE_SECONDS": 60,
        "SCHEDULER_SWEEP_SECONDS": 3600,
        "SCHEDULER_PURGE_SECONDS": 24 * 3600,
        # Sessions and cookies
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "SESSION_IDLE_SECONDS": 30 * 60,
        "SESSION_ABSOLUTE_SECONDS": 10 * 3600,
        # Web hardening (docs/security.md)
        "FORCE_HTTPS": False,  # set true unless the proxy already redirects to HTTPS
        "HSTS_SECONDS": 0,  # e.g. 31536000 in production behind HTTPS
        "PROXY_FIX_HOPS": 0,  # number of trusted proxies in front (X-Forwarded-For/-Proto/-Host)
        "TRUSTED_HOSTS": None,  # e.g. ["avg.asg.nl"]; other Host headers get 400
        "RATELIMIT_ENABLED": True,
        # Argon2id for staff passwords: OWASP's m=19 MiB, t=2, p=1. RFC 9106's 64 MiB would be allocated
        # by every sign-in in every web worker (a 64 MB peak per process, bench/results.md); OWASP rates
        # this setting as equally strong against offline guessing. Existing hashes upgrade at sign-in.
        "ARGON2_PARAMETERS": {"time_cost": 2, "memory_cost": 19456, "parallelism": 1},
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCKOUT_SECONDS": 15 * 60,
        "QUEUE_PAGE_SIZE": 25,
        # Languages: Dutch is the source language and the default; the English catalogue is
        # translations/en/LC_MESSAGES/messages.po, compiled to .mo by the build (make translations).
        "LANGUAGES": ["nl", "en"],
        # The language switch (POST /taal) also keeps the choice in this cookie: it outlives the session.
        "LANGUAGE_COOKIE_NAME": "dsr_lang",
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "BABEL_TRANSLATION_DIRECTORIES": str(TRANSLATIONS_DIR),
    }


def load_environment(config: dict, environ: os._Environ | dict | None = None) -> None:
    """Apply ``DSR_*`` variables onto ``config`` (values parsed as JSON where they parse)."""
    import json

    environ = os.environ if environ is None else environ
    for name, raw in environ.items():
        if not name.startswith("DSR_") or name.startswith("DSR_TEST_"):
            continue
        key = name[4:]
        key = ALIASES.get(key, key)
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        config[key] = value

"""Every ``DSR_*`` setting, declared once: name, kind, default, one-line meaning, group.

The README's settings table is generated from this list (``make settings-table``) and
tests/test_config.py checks that the two agree. Add a setting here, then regenerate the table.
"""
from __future__ import annotations

from pathlib import Path

from .kinds import BOOLEAN, INTEGER, INTEGERS, JSON_OBJECT, NUMBER, TEXT, TEXTS, Choice, Setting

#: The catalogues live at the top level of the project, next to ``templates/``; an installed wheel
#: carries them as dsr/_translations (pyproject.toml).
_TOP = Path(__file__).resolve().parent.parent.parent
TRANSLATIONS_DIR = _TOP / "translations" if (_TOP / "translations").is_dir() else \
    Path(__file__).resolve().parent.parent / "_translations"


def _sqlite_in_instance(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "dsr.sqlite")


def _group(group: str, *rows: tuple) -> list[Setting]:
    """Settings of one group: rows of (name, kind, default, meaning, extra keyword arguments)."""
    return [Setting(name, kind, default, meaning, group, **(extra[0] if extra else {}))
            for name, kind, default, meaning, *extra in rows]


CORE = "Core"
APP_SETTINGS: list[Setting] = [
    *_group(
        CORE,
        ("SECRET_KEY", TEXT, None, "signs sessions and links; 32+ random bytes, the same on every host",
         {"secret": True, "shown_default": "none (required in production)"}),
        ("SECRET_KEY_FALLBACKS", TEXTS, None, "old secret keys that still verify, during a key rotation "
         "(docs/security.md)", {"secret": True}),
        ("DEMO", BOOLEAN, False, "the demo (`make run` sets it): starting without DSR_SECRET_KEY (a random key "
         "per process) and the mailbox page are allowed; never in production"),
        ("DATABASE_URL", TEXT, _sqlite_in_instance, "e.g. `postgresql+psycopg://dsr@db/dsr`",
         {"key": "SQLALCHEMY_DATABASE_URI", "secret": True, "shown_default": "`sqlite:///instance/dsr.sqlite`"}),
        ("SQLALCHEMY_ENGINE_OPTIONS", JSON_OBJECT, {"pool_pre_ping": True},
         "connection pool options (docs/deployment.md)"),
        ("REDIS_URL", TEXT, "redis://127.0.0.1:6379/0", "job queue and rate limits", {"secret": True}),
        ("RQ_QUEUE", TEXT, "dsr", "the name of the job queue the workers listen on"),
        ("RQ_MAIL_QUEUE", TEXT, "dsr-mail", "the name of the queue of mail jobs, emptied by the mail worker "
         "(docs/reliability.md)"),
        ("PUBLIC_BASE_URL", TEXT, None, "base of every link in a mail, e.g. `https://avg.asg.nl`; never the "
         "request's Host header (docs/security.md)", {"shown_default": "none (required outside the demo)"}),
    ),
    *_group(
        "Mail",
        ("MAIL_SERVER", TEXT, "127.0.0.1", "SMTP relay host"),
        ("MAIL_PORT", INTEGER, 8025, "SMTP relay port"),
        ("MAIL_USE_TLS", BOOLEAN, False, "STARTTLS; the certificate is verified"),
        ("MAIL_USE_SSL", BOOLEAN, False, "TLS from the start; the certificate is verified"),
        ("MAIL_USERNAME", TEXT, None, "SMTP login"),
        ("MAIL_PASSWORD", TEXT, None, "SMTP password", {"secret": True}),
        ("MAIL_DEFAULT_SENDER", TEXT, "AVG-verzoeken ASG <avg@asg.nl>", "From address"),
        ("MAIL_TIMEOUT", INTEGER, 20, "seconds before an SMTP connection gives up"),
        ("MAIL_CA_FILE", TEXT, None, "CA bundle for a private relay", {"shown_default": "system store"}),
        ("DEMO_MAILBOX", TEXT, None, "folder the demo's mail sink writes .eml files to, shown at /beheer/mail "
         "with DSR_DEMO only (both set by the launcher)"),
    ),
    *_group(
        "Files",
        ("FILE_KEYS", TEXTS, [], "Fernet keys for files, TOTP secrets and unsent mails' links at rest, "
         "newest first; required for files, TOTP and mails with links", {"secret": True}),
        ("FILE_STORAGE", TEXT, None, "folder of the encrypted files, shared by web and worker hosts",
         {"shown_default": "`instance/files`"}),
        ("UPLOAD_MAX_BYTES", INTEGER, 10 * 1024 * 1024, "largest uploaded file"),
        ("MAX_CONTENT_LENGTH", INTEGER, 12 * 1024 * 1024, "largest request body"),
        ("MAX_FORM_MEMORY_SIZE", INTEGER, 512 * 1024, "largest form field held in memory"),
        ("PACKAGE_LINK_DAYS", INTEGER, 7, "days a download link of an access package works "
         "(docs/fulfilment.md)"),
        ("LETTER_LINK_DAYS", INTEGER, 30, "days a download link of a letter works"),
    ),
    *_group(
        "Audit log (docs/security.md)",
        ("AUDIT_KEYS", TEXTS, [], "keys (32+ characters) that sign the audit chain and its checkpoints, newest "
         "first; never in the database", {"secret": True, "shown_default": "none (required in production)"}),
    ),
    *_group(
        "Organisation",
        ("ORGANISATION_NAME", TEXT, "Almeerse Scholen Groep", "on pages, letters and mails"),
        ("ORGANISATION_POSTAL_ADDRESS", TEXT, "Postbus 60276, 1320 AH Almere",
         "postal address on letters and for a bezwaar"),
        ("PRIVACY_OFFICER_EMAIL", TEXT, "ibp@asg.nl", "shown on pages and in mails"),
    ),
    *_group(
        "Legal rules (docs/legal.md)",
        ("TIMEZONE", TEXT, "Europe/Amsterdam", "the zone of dates and deadlines"),
        ("SUSPENSION_MAX_WORKING_DAYS", INTEGER, 3, "R-DL-6: a question only pauses the clock when asked "
         "within this many working days"),
        ("INFORMATION_ANSWER_DAYS", INTEGER, 14, "R-ID-6: the answer-by date an information request gives "
         "(rolled to a working day)"),
        ("CHILD_REQUEST_NEEDS_CONFIRMATION", BOOLEAN, True, "R-CH-2: a gezag-holder is asked to confirm "
         "a child's own request"),
        ("REMINDER_WORKING_DAYS", INTEGERS, [10, 5], "R-DL-7: reminders this many working days before the "
         "deadline"),
        ("CASE_RETENTION_YEARS", INTEGER, 5, "R-AC-4: case files are anonymised this many years after closing"),
        ("CONFIRM_LINK_MAX_AGE_DAYS", INTEGER, 14, "days the link that confirms a requester's address works"),
    ),
    *_group(
        "Requester portal and student consent (docs/security.md)",
        ("PORTAL_LINK_MINUTES", INTEGER, 60, "minutes a link asked on the \"Mijn verzoek\" page works"),
        ("PORTAL_NOTICE_LINK_DAYS", INTEGER, None, "days a link in a mail about news works",
         {"shown_default": "that of `DSR_CONFIRM_LINK_MAX_AGE_DAYS`"}),
        ("PORTAL_LINKS_PER_HOUR", INTEGER, 5, "links per case per hour from the \"Mijn verzoek\" page"),
        ("PORTAL_SESSION_IDLE_SECONDS", INTEGER, 15 * 60, "a portal session ends after this idle time"),
        ("PORTAL_SESSION_ABSOLUTE_SECONDS", INTEGER, 4 * 3600, "a portal session ends this long after it began"),
        ("PORTAL_MAX_UPLOADS", INTEGER, 20, "files a requester may upload per case"),
        ("CONSENT_LINK_MAX_AGE_DAYS", INTEGER, 90, "R-CH-3/4: days the student's consent link works"),
        ("CONSENT_SESSION_IDLE_SECONDS", INTEGER, 15 * 60, "the consent session ends after this idle time"),
    ),
    *_group(
        "Staff sessions and sign-in",
        ("SESSION_COOKIE_HTTPONLY", BOOLEAN, True, "the session cookie is hidden from scripts"),
        ("SESSION_COOKIE_SAMESITE", Choice("Lax", "Strict", "None"), "Lax", "SameSite of the session cookie"),
        ("SESSION_COOKIE_SECURE", BOOLEAN, False, "set true behind HTTPS"),
        ("PERMANENT_SESSION_LIFETIME", INTEGER, 8 * 3600, "seconds a permanent Flask session lasts"),
        ("SESSION_IDLE_SECONDS", INTEGER, 30 * 60, "a staff session ends after this idle time"),
        ("SESSION_ABSOLUTE_SECONDS", INTEGER, 10 * 3600, "a staff session ends this long after sign-in"),
        ("LOGIN_MAX_FAILURES", INTEGER, 5, "failed sign-ins before the account is locked for a while"),
        ("LOGIN_LOCKOUT_SECONDS", INTEGER, 15 * 60, "how long that lock lasts"),
        # OWASP's m=19 MiB, t=2, p=1: RFC 9106's 64 MiB would be allocated by every sign-in in every web
        # worker (bench/results.md); OWASP rates this as equally strong. Old hashes upgrade at sign-in.
        ("ARGON2_PARAMETERS", JSON_OBJECT, {"time_cost": 2, "memory_cost": 19456, "parallelism": 1},
         "argon2id parameters for staff passwords"),
        ("QUEUE_PAGE_SIZE", INTEGER, 25, "cases per page of the staff queue"),
    ),
    *_group(
        "Web hardening (docs/security.md)",
        ("FORCE_HTTPS", BOOLEAN, False, "redirect to HTTPS; set true unless the proxy already does"),
        ("HSTS_SECONDS", INTEGER, 0, "Strict-Transport-Security max-age, e.g. 31536000 behind HTTPS"),
        ("PROXY_FIX_HOPS", INTEGER, 0, "trusted proxies in front (X-Forwarded-For/-Proto/-Host)"),
        ("TRUSTED_HOSTS", TEXTS, None, "the public host names, e.g. `[\"avg.asg.nl\"]`; other Host headers "
         "get 400", {"shown_default": "any host"}),
        ("RATELIMIT_ENABLED", BOOLEAN, True, "rate limits on sign-in, the forms and the portal"),
        ("INTAKE_LIMIT_PER_CLIENT", TEXT, "20 per hour;50 per day", "requests sent with the public form from one "
         "client address (flask-limiter notation, `;` between limits)"),
        ("INTAKE_LIMIT_PER_RECIPIENT", TEXT, "5 per hour;10 per day", "requests sent with the public form to one "
         "e-mail address, counted under a keyed hash of the address (docs/security.md)"),
    ),
    *_group(
        "Outbox and scheduler (docs/reliability.md)",
        ("OUTBOX_CLAIM_SECONDS", NUMBER, 300, "a claimed mail is left alone this long before a re-drive "
         "may try it again"),
        ("OUTBOX_REDRIVE_AFTER_SECONDS", NUMBER, 30, "the re-drive leaves mails younger than this to their "
         "own job"),
        ("OUTBOX_MAX_BACKOFF_SECONDS", NUMBER, 3600, "the longest wait between attempts to send a mail"),
        ("STAFF_DIGEST_MINUTES", NUMBER, 15, "staff get at most one mail about new requests per this many "
         "minutes, listing them; an urgent request is announced at once; 0 announces every request at once"),
        ("SCHEDULER_REDRIVE_SECONDS", NUMBER, 60, "interval of the mail re-drive and of the re-drive of "
         "connector runs whose job was lost or whose worker died"),
        ("SCHOOL_LIST_CACHE_SECONDS", NUMBER, 60, "how long a process keeps the public form's list of active "
         "schools; an admin's change is seen at once in the process that made it, by the others within this "
         "time; 0 reads it for every form"),
        ("SCHEDULER_DIGEST_SECONDS", NUMBER, 60, "interval of the staff digest job (it also announces new "
         "requests whose announcement job was lost)"),
        ("SCHEDULER_SWEEP_SECONDS", NUMBER, 3600, "interval of the deadline sweep"),
        ("SCHEDULER_PURGE_SECONDS", NUMBER, 24 * 3600, "interval of the retention purge of case files"),
        ("SCHEDULER_PACKAGE_PURGE_SECONDS", NUMBER, 24 * 3600, "interval of the purge of delivered packages"),
        ("SCHEDULER_AUDIT_CHECKPOINT_SECONDS", NUMBER, 3600, "interval of the signed audit checkpoint in the "
         "file store"),
        ("SCHEDULER_AUDIT_MAIL_SECONDS", NUMBER, 24 * 3600, "interval of the mail of the latest audit checkpoint "
         "to the privacy officers"),
    ),
    *_group(
        "Connectors to the school's systems (docs/connectors.md)",
        ("CONNECTOR_RETRIES", INTEGER, 3, "how often a collection or execution job that failed for a passing "
         "reason (timeout, server error) is tried again"),
        ("CONNECTOR_RETRY_SECONDS", INTEGERS, [10, 60, 300], "the waits before those retries (back-off)"),
        ("CONNECTOR_EXPORT_DIR", TEXT, None, "the folder under which file-export systems may name a folder to "
         "read exports from; none: exports are only uploaded by staff", {"shown_default": "none"}),
        ("MANUAL_TASK_REMINDER_DAYS", INTEGERS, [3, 1], "working days before its due date that the owner of a "
         "manual task gets a reminder (and one on the day after it is overdue)"),
        ("ROSTER_RETENTION_DAYS", INTEGER, 90, "days a student who left stays in the roster of contacts "
         "(docs/legal.md)"),
        ("SCHEDULER_ROSTER_SECONDS", NUMBER, 24 * 3600, "interval of the roster sync from the student "
         "administration system"),
    ),
    *_group(
        "Sign-in with the school's account (OpenID Connect; docs/sso.md)",
        ("OIDC_ISSUER", TEXT, None, "the identity provider's issuer URL (its discovery document is read from "
         "`<issuer>/.well-known/openid-configuration`); none: staff sign in with a password and TOTP only",
         {"shown_default": "none"}),
        ("OIDC_CLIENT_ID", TEXT, None, "dsr's client id at the provider", {"shown_default": "none"}),
        ("OIDC_CLIENT_SECRET", TEXT, None, "dsr's client secret at the provider (from the environment only)",
         {"secret": True, "shown_default": "none"}),
        ("OIDC_GROUPS_CLAIM", TEXT, "groups", "the ID token or userinfo claim that lists the user's groups"),
        ("OIDC_SCOPES", TEXTS, ["openid", "email", "profile"], "the scopes dsr asks for"),
        ("OIDC_MFA_AMR", TEXTS, ["mfa", "otp", "hwk", "swk", "fido", "sc"], "`amr` values that mean the user did "
         "multi-factor authentication at the provider (then dsr asks no TOTP code)"),
        ("OIDC_MFA_ACR", TEXTS, [], "`acr` values that mean the same (e.g. SURFconext's "
         "`http://schemas.microsoft.com/claims/multipleauthn`)"),
        ("OIDC_TIMEOUT_SECONDS", NUMBER, 5, "seconds before a call to the provider gives up"),
        ("SSO_BREAK_GLASS_EMAIL", TEXT, None, "with a provider set: the one local admin account that may still "
         "sign in with a password and TOTP (when the provider is down); every other account signs in through "
         "the provider", {"shown_default": "none"}),
    ),
    *_group(
        "API and webhooks (docs/api.md)",
        ("API_TOKEN_MAX_DAYS", INTEGER, 365, "the longest an API token may stay valid"),
        ("API_RATE_LIMIT", TEXT, "120 per minute", "calls per token (integrations) or per client address "
         "(public calls) in the API"),
        ("WEBHOOK_TIMEOUT_SECONDS", NUMBER, 10, "seconds before a webhook delivery gives up"),
        ("WEBHOOK_RETRY_SECONDS", INTEGERS, [60, 300, 1800, 7200, 21600], "the waits before each retry of a "
         "webhook delivery that failed; after the last it is marked failed"),
    ),
    *_group(
        "Languages",
        ("LANGUAGES", TEXTS, ["nl", "en"], "the languages offered by the switch; Dutch is the source"),
        ("LANGUAGE_COOKIE_NAME", TEXT, "dsr_lang", "the cookie that keeps the chosen language"),
        ("BABEL_DEFAULT_LOCALE", TEXT, "nl", "the language of a visitor who did not choose"),
        ("BABEL_DEFAULT_TIMEZONE", TEXT, "Europe/Amsterdam", "the time zone of formatted dates"),
        ("BABEL_TRANSLATION_DIRECTORIES", TEXT, str(TRANSLATIONS_DIR), "the folder of the catalogues",
         {"shown_default": "`translations/`"}),
    ),
]

#: The tools' on-switches: they compare the value with "1".
SWITCH = Choice("1")
SWITCH.label = "`1` or unset"

TOOLING = "Tooling (read by the launcher, gunicorn, tests or benchmarks; not by the app)"
TOOLING_SETTINGS: list[Setting] = [
    Setting(name, kind, None, meaning, TOOLING, shown_default=shown, tooling=True)
    for name, kind, shown, meaning in [
        ("PORT", INTEGER, "5000, or a free port", "`make run`: the demo's web port"),
        ("BIND", TEXT, "`127.0.0.1:8000`", "Procfile and dsr-web.service: the address gunicorn listens on"),
        ("REDIS_SERVER", TEXT, "`redis-server` on PATH", "local services: the redis-server binary to start"),
        ("TEST_DATABASE_URL", TEXT, "SQLite", "tests: the database (`make test-pg` sets PostgreSQL)"),
        ("TEST_PG_ADMIN_URL", TEXT, "`postgresql+psycopg://postgres@127.0.0.1:5432/postgres`",
         "tests: the PostgreSQL maintenance database"),
        ("UPDATE_SNAPSHOTS", SWITCH, "unset", "tests: `1` rewrites the mail and letter snapshots"),
        ("PG_BIN", TEXT, "PATH", "reliability tests: the folder of initdb and pg_ctl"),
        ("RELIABILITY_LONG", SWITCH, "unset", "reliability tests: `1` runs the long variants "
         "(`make reliability`)"),
        ("RELIABILITY_SUBMISSIONS", INTEGER, "200, long 3000", "reliability tests: submissions in the load test"),
        ("BENCH_PG", TEXT, "`postgresql+psycopg://postgres@127.0.0.1:5432`", "benchmarks: the PostgreSQL server"),
        ("BENCH_REDIS_URL", TEXT, "a private Redis", "benchmarks: use this running Redis"),
    ]
]

ALL_SETTINGS: list[Setting] = APP_SETTINGS + TOOLING_SETTINGS

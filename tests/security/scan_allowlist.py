"""The outside scanners' findings that docs/security.md ("Outside scanner") explains, one entry per row.

A finding that matches no entry fails ``make security``; every entry needs a row in that table with its
``doc_id``, and the entries never cover an injection, a script or a server error
(tests/security/test_scan_reports.py checks all three).
"""
from __future__ import annotations

from tests.security.scan_reports import Explained

EXPLAINED: list[Explained] = [
    # The demo speaks plain HTTP on loopback; production redirects with DSR_FORCE_HTTPS (or the proxy does).
    Explained("SCAN-1", "wapiti", "Unencrypted Channels", path="/", info="No HTTPS redirection"),
    # Secure is set by DSR_SESSION_COOKIE_SECURE, on for production; over plain HTTP it would stop the cookies.
    Explained("SCAN-2", "wapiti", "Secure Flag cookie", info=r"in the cookie : (session|dsr_lang)$"),
    # Flask answers OPTIONS with the methods a route accepts; only OPTIONS and POST (or nothing, from the
    # heuristic) count as "interesting" here. Any other method (PUT, DELETE, TRACE, ...) is not covered.
    Explained("SCAN-3", "wapiti", "HTTP Methods",
              info=r"^Possible interesting methods \(using (OPTIONS|heuristics)\) on \S+:( OPTIONS \(200\))?"
                   r"( POST \(\d+\))?$"),
    # The retention-period forms are prefixed (``ppo-``, ``pvo-``, ``pmbo-``), so their token field is
    # ``ppo-csrf_token``, a name Wapiti does not know. Flask-WTF checks it (CSRFProtect accepts a field ending
    # in csrf_token); a post without it or with a forged one gets 400.
    Explained("SCAN-4", "wapiti", "Cross Site Request Forgery",
              path=r"/verwerkingsregister/beheer/categorie/\d+/termijn/(po|vo|mbo)", info="^Lack of anti CSRF token$"),
]

"""The HTTP/JSON connector: a web API such as a learning platform's OneRoster 1.2 REST API (issue 17 point 2).

Settings (``System.settings_json``): ``base_url`` (https; plain http only to this machine), ``auth``
("oauth2" | "api_key" | "basic" | "none"), ``token_url`` (absolute, or a path on ``base_url``), ``client_id``,
``scope``, ``api_key_header``, ``username``, ``page_size`` (default 100), ``roster_path`` (the users
collection of a roster source; default OneRoster's), and for the roster ``student_number_field`` (default
``identifier``), ``gezag_field`` (default ``metadata.gezag``; absent means no gezag), ``school_codes``
({org identifier: dsr school code}). Credentials: ``client_secret``, ``api_key``, ``password``.

Per category the path template, the ``rows:`` line and the calls are described in ``http_spec``. Every
answer is streamed and cut off at the system's size limit (a collection's pages together): a larger answer
is :class:`TooLarge`, never part of the data. Errors say what failed in Dutch, never the secret, the token,
the URL's values or the body.
"""
from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

from . import http_roster
from .base import (
    ActionPlan,
    CategoryData,
    CategorySpec,
    Change,
    ConnectorError,
    Limits,
    RosterEntry,
    StudentKey,
    TooLarge,
    WrongStudent,
)
from .http_spec import Call, dig, fill_body, fill_path, parse_calls, parse_collect, parse_rectify, rows_at, select

# Authlib 1.9 warns that it prefers the new ``httpx2`` package to httpx, the client dsr depends on; its httpx
# integration works the same. Only that one warning is silenced, only for this import.
with warnings.catch_warnings():
    from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]  # no stubs
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client  # type: ignore[import-untyped]  # no stubs

AUTH_KINDS = ("oauth2", "api_key", "basic", "none")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
#: How many pages one collection may have at most (a server that ignores ``offset`` is caught sooner by
#: the repeated-page check; this bounds the rest).
MAX_PAGES = 10_000

# httpx logs every request's URL at INFO, and a URL holds the student number: keep it out of the logs.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)


class HttpConnector:
    """Reads a student's objects from a JSON API and carries out rights with the configured calls."""

    def __init__(self, settings: Mapping[str, Any], credentials: Mapping[str, Any], limits: Limits):
        self.settings = settings
        self.credentials = credentials
        self.limits = limits
        self.auth = str(settings.get("auth") or "none")
        if self.auth not in AUTH_KINDS:
            raise ConnectorError("De koppeling heeft een onbekende manier van inloggen; kies oauth2, api_key, "
                                 "basic of none.")
        self.base_url = _checked_url(str(settings.get("base_url") or ""), "basis-URL")
        try:
            self.page_size = max(1, int(settings.get("page_size") or 100))
        except (TypeError, ValueError):
            raise ConnectorError("De paginagrootte van de koppeling is geen getal.") from None
        self._token: dict[str, Any] | None = None  # kept between calls of this connector, never logged

    # -- the client -------------------------------------------------------------------------------------
    @contextmanager
    def _client(self) -> Iterator[httpx.Client]:
        options: dict[str, Any] = dict(timeout=httpx.Timeout(self.limits.timeout_seconds), follow_redirects=False,
                                       verify=True, headers={"Accept": "application/json"})
        if self.auth == "oauth2":
            client: httpx.Client = self._oauth2_client(options)
        elif self.auth == "api_key":
            header = str(self.settings.get("api_key_header") or "")
            if not header or not self.credentials.get("api_key"):
                raise ConnectorError("De koppeling mist de naam van de API-sleutelheader of de sleutel zelf.")
            options["headers"][header] = str(self.credentials["api_key"])
            client = httpx.Client(**options)
        elif self.auth == "basic":
            if not self.settings.get("username") or not self.credentials.get("password"):
                raise ConnectorError("De koppeling mist de gebruikersnaam of het wachtwoord.")
            client = httpx.Client(auth=httpx.BasicAuth(str(self.settings["username"]),
                                                       str(self.credentials["password"])), **options)
        else:
            client = httpx.Client(**options)
        try:
            if isinstance(client, OAuth2Client) and self._token is None:
                self._fetch_token(client)
            yield client
        finally:
            client.close()

    def _oauth2_client(self, options: dict[str, Any]) -> OAuth2Client:
        token_url = str(self.settings.get("token_url") or "")
        if not token_url or not self.settings.get("client_id") or not self.credentials.get("client_secret"):
            raise ConnectorError("De koppeling mist de token-URL, de client-id of het clientgeheim.")
        token_url = _checked_url(urljoin(self.base_url + "/", token_url), "token-URL")

        def keep(token: dict[str, Any], **_: Any) -> None:
            self._token = dict(token)

        client = OAuth2Client(str(self.settings["client_id"]), str(self.credentials["client_secret"]),
                              token_endpoint_auth_method="client_secret_basic",
                              scope=str(self.settings.get("scope") or "") or None, token=self._token,
                              update_token=keep, token_endpoint=token_url, grant_type="client_credentials",
                              **options)
        return client

    def _fetch_token(self, client: OAuth2Client) -> None:
        try:
            self._token = dict(client.fetch_token(client.metadata["token_endpoint"], grant_type="client_credentials"))
        except httpx.HTTPError as exc:
            raise _transport_error(exc, self.limits, "de tokenserver") from None
        except Exception as exc:  # Authlib's OAuthError or an unreadable answer: say which, not what it held
            raise ConnectorError("De tokenserver gaf geen toegangstoken (" + type(exc).__name__ + "): controleer "
                                 "de token-URL, de client-id en het clientgeheim.") from None

    # -- one request ------------------------------------------------------------------------------------
    def _send(self, client: httpx.Client, method: str, url: str, body: Any = None, *,
              budget: int | None = None) -> tuple[int, httpx.Headers, bytes]:
        """One call, its answer read up to ``budget`` bytes (the size limit) and the timeout in all."""
        budget = self.limits.max_bytes if budget is None else budget
        for attempt in (1, 2):
            status, headers, content = self._send_once(client, method, url, body, budget)
            if status == 401 and self.auth == "oauth2" and attempt == 1 and isinstance(client, OAuth2Client):
                self._fetch_token(client)  # the token expired early or was revoked: one new token, once
                continue
            return status, headers, content
        raise AssertionError("unreachable")

    def _send_once(self, client: httpx.Client, method: str, url: str, body: Any,
                   budget: int) -> tuple[int, httpx.Headers, bytes]:
        deadline = time.monotonic() + self.limits.timeout_seconds
        try:
            with client.stream(method, url, json=body) as response:
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > budget:
                    raise _too_large(self.limits)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > budget:
                        raise _too_large(self.limits)
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("answer too slow")
                    chunks.append(chunk)
                return response.status_code, response.headers, b"".join(chunks)
        except httpx.HTTPError as exc:
            raise _transport_error(exc, self.limits, "het systeem") from None
        except ConnectorError:
            raise
        except Exception as exc:  # Authlib could not get a token on the way (expired, then refused)
            raise ConnectorError("Het systeem kon niet worden aangeroepen (" + type(exc).__name__ + "): controleer "
                                 "de inloggegevens van deze koppeling.") from None

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _json(self, content: bytes, category: str) -> Any:
        try:
            return json.loads(content)
        except ValueError:
            raise ConnectorError(f"Het systeem gaf voor '{category}' geen geldige JSON terug (misschien een "
                                 "afgebroken antwoord).", retryable=True) from None

    # -- collect ----------------------------------------------------------------------------------------
    def collect(self, mapping: CategorySpec, key: StudentKey) -> CategoryData:
        """The student's objects of one category, over every page, cut to the selected fields;
        :class:`WrongStudent` when an object's ``key_field`` is another student's number."""
        spec = parse_collect(mapping.collect, mapping.category_code)
        url = self._url(fill_path(spec.path, key.params()))
        with self._client() as client:
            rows = self._all_rows(client, url, spec.rows, mapping.category_code, spec.not_found_empty)
        check_key(mapping, key, rows)
        columns, selected = select(rows, mapping.fields)
        return CategoryData(mapping.category_code, columns, selected)

    def _all_rows(self, client: httpx.Client, first_url: str, rows_path: str, category: str,
                  not_found_empty: bool = False, *, per_page_limit: bool = False) -> list[dict[str, Any]]:
        """Every row of a collection: the first page with OneRoster's ``limit``/``offset``, then the
        ``Link: rel="next"`` page, or else the next offset while ``X-Total-Count`` (or a full page) says
        there are more. The size limit counts all pages together, unless ``per_page_limit`` (the roster)."""
        paged_url = _with_query(first_url, {"limit": str(self.page_size), "offset": "0"}, keep_existing=True)
        url: str | None = paged_url
        rows: list[dict[str, Any]] = []
        used, seen = 0, set()
        for _page in range(MAX_PAGES):
            if url is None:
                return rows
            if url in seen:
                raise ConnectorError(f"Het systeem gaf voor '{category}' dezelfde pagina opnieuw; het ophalen "
                                     "is gestopt.")
            seen.add(url)
            budget = None if per_page_limit else self.limits.max_bytes - used
            status, headers, content = self._send(client, "GET", url, budget=budget)
            used += len(content)
            if status == 404 and not_found_empty and not rows:
                return []
            check_status(status, category)
            page, is_list = rows_at(self._json(content, category), rows_path, category)
            rows.extend(page)
            url = self._next_page(url, headers, paged_url, len(rows), len(page)) if is_list else None
        raise ConnectorError(f"'{category}' heeft meer dan {MAX_PAGES} pagina's; het ophalen is gestopt.")

    def _next_page(self, url: str, headers: httpx.Headers, paged_url: str, fetched: int, page: int) -> str | None:
        link = _next_link(headers.get("Link", ""))
        if link:
            target = urljoin(url, link)
            if urlsplit(target)[:2] != urlsplit(self.base_url)[:2]:
                raise ConnectorError("Het systeem verwees voor de volgende pagina naar een ander adres; dsr "
                                     "stuurt de inloggegevens alleen naar de basis-URL.")
            return target
        total = headers.get("X-Total-Count", "")
        if total.isdigit():
            more = fetched < int(total) and page > 0
        else:
            more = page >= self.page_size
        return _with_query(paged_url, {"limit": str(self.page_size), "offset": str(fetched)}) if more else None

    # -- plan and execute -------------------------------------------------------------------------------
    def _calls(self, action: str, mapping: CategorySpec, key: StudentKey,
               changes: Sequence[Change]) -> list[tuple[Call, dict[str, str]]]:
        if action == "rectify":
            by_field = parse_rectify(mapping.rectify, mapping.category_code)
            missing = [c.field for c in changes if c.field not in by_field]
            if missing:
                raise ConnectorError("Voor deze velden is geen correctie ingesteld: " + ", ".join(missing) + ".")
            return [(by_field[c.field], {**key.params(), "new_value": c.new_value, "old_value": c.old_value})
                    for c in changes]
        if action not in ("erase", "restrict"):
            raise ConnectorError(f"Onbekende opdracht {action!r}.")
        calls = parse_calls(mapping.erase if action == "erase" else mapping.restrict, mapping.category_code)
        if not calls:
            raise ConnectorError(f"Voor '{mapping.category_code}' is geen {action}-opdracht ingesteld.")
        return [(call, key.params()) for call in calls]

    def plan(self, action: str, mapping: CategorySpec, key: StudentKey, changes: Sequence[Change] = ()) -> ActionPlan:
        """The calls that would be made, and for each call on an object that object as it is now (a GET of
        the same path: found 1, gone 0). Changes nothing."""
        count, rows, lines = 0, [], []
        with self._client() as client:
            for call, values in self._calls(action, mapping, key, changes):
                lines.append(call.describe())
                if call.method == "POST":
                    count += 1  # a new object: nothing to look at first
                    continue
                status, _, content = self._send(client, "GET", self._url(fill_path(call.path, values)))
                if status in (404, 410):
                    continue
                if status == 405:
                    count += 1  # the object cannot be read, only changed
                    continue
                check_status(status, mapping.category_code)
                found, _ = rows_at(self._json(content, mapping.category_code), "", mapping.category_code)
                # The object changed need not have the collected rows' shape (erase a user, collect their
                # results): its key and fields are checked and shown where it has them.
                check_key(mapping, key, [r for r in found if dig(r, mapping.key_field) is not None])
                count += len(found)
                fields = tuple(f for f in mapping.fields if any(dig(r, f) is not None for r in found))
                rows.extend(select(found, fields)[1])
        return ActionPlan(mapping.category_code, action, count, rows, description="\n".join(lines))

    def execute(self, action: str, mapping: CategorySpec, key: StudentKey, changes: Sequence[Change] = ()) -> int:
        """Make the calls; the objects changed. A DELETE of an object that is gone (404, 410) counts as
        done before, so running it again after a crash changes nothing more."""
        count = 0
        with self._client() as client:
            for call, values in self._calls(action, mapping, key, changes):
                body = fill_body(call.body, values) if call.body else None
                status, _, _ = self._send(client, call.method, self._url(fill_path(call.path, values)), body)
                if call.method == "DELETE" and status in (404, 410):
                    continue
                check_status(status, mapping.category_code)
                count += 1
        return count

    # -- roster -----------------------------------------------------------------------------------------
    def roster(self) -> Iterator[RosterEntry]:
        """Every student of the OneRoster users collection with their parents, guardians and relatives
        (``http_roster``); each collection's pages are bounded by the size limit one by one."""
        users_path = str(self.settings.get("roster_path") or http_roster.USERS_PATH)
        with self._client() as client:
            def fetch(path: str) -> list[dict[str, Any]]:
                return self._all_rows(client, self._url(path), "", "roster", per_page_limit=True)
            collections = http_roster.fetch_collections(users_path, fetch)
        yield from http_roster.entries(collections, self.settings)


def check_key(mapping: CategorySpec, key: StudentKey, rows: list[dict[str, Any]]) -> None:
    """:class:`WrongStudent` when a row's ``key_field`` (a dotted path) is not the student number asked for."""
    if not mapping.key_field:
        return
    for row in rows:
        value = dig(row, mapping.key_field)
        if value is None:
            raise ConnectorError(f"Het sleutelveld '{mapping.key_field}' ontbreekt in het antwoord voor "
                                 f"'{mapping.category_code}'.")
        if str(value) != key.student_number:
            raise WrongStudent(f"'{mapping.category_code}' gaf gegevens van een andere leerling terug dan gevraagd; "
                               "niets is overgenomen.")


def check_status(status: int, category: str) -> None:
    """A ConnectorError for an answer that is not a success, in words staff can act on."""
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        raise ConnectorError(f"Het systeem stuurde door naar een ander adres (HTTP {status}); dsr volgt geen "
                             "doorverwijzingen. Controleer de basis-URL.")
    if status in (401, 403):
        raise ConnectorError(f"Het systeem weigerde de toegang (HTTP {status}): controleer de inloggegevens "
                             "van deze koppeling.")
    if status == 404:
        raise ConnectorError(f"Het systeem kent het gevraagde adres niet (HTTP 404): controleer het pad van "
                             f"'{category}'.")
    if status == 429:
        raise ConnectorError("Het systeem vraagt om later terug te komen (HTTP 429).", retryable=True)
    if status >= 500:
        raise ConnectorError(f"Het systeem gaf een serverfout (HTTP {status}); later opnieuw proberen kan "
                             "helpen.", retryable=True)
    raise ConnectorError(f"Het systeem weigerde het verzoek (HTTP {status}): controleer de instellingen van "
                         f"'{category}'.")


def _checked_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConnectorError(f"De {what} van de koppeling is geen geldige http(s)-URL.")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ConnectorError(f"De {what} moet met https:// beginnen: dsr stuurt inloggegevens en "
                             "persoonsgegevens alleen versleuteld over het netwerk.")
    return url.rstrip("/")


def _with_query(url: str, values: dict[str, str], *, keep_existing: bool = False) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name, value in values.items():
        if not (keep_existing and name in query):
            query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def _next_link(header: str) -> str:
    """The target of ``rel="next"`` in a Link header, or ''."""
    for part in header.split(","):
        target, _, params = part.partition(";")
        if 'rel="next"' in params.replace(" ", "") or "rel=next" in params.replace(" ", ""):
            return target.strip().strip("<>")
    return ""


def _too_large(limits: Limits) -> TooLarge:
    return TooLarge(f"Het antwoord van het systeem is groter dan de grens van {limits.max_bytes:,} bytes; "
                    "er is niets overgenomen. Verhoog de grens of beperk de velden.".replace(",", "."))


def _transport_error(exc: httpx.HTTPError, limits: Limits, what: str) -> ConnectorError:
    if isinstance(exc, httpx.TimeoutException):
        return ConnectorError(f"{what.capitalize()} antwoordde niet binnen {limits.timeout_seconds:g} seconden.",
                              retryable=True)
    if isinstance(exc, httpx.ConnectError):
        return ConnectorError(f"{what.capitalize()} is niet bereikbaar (verbinding geweigerd, onbekend adres of "
                              "certificaat niet geldig).", retryable=True)
    return ConnectorError(f"De verbinding met {what} mislukte ({type(exc).__name__}).", retryable=True)


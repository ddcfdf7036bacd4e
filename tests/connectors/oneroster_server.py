"""A real HTTP server that speaks a subset of 1EdTech OneRoster 1.2 REST, for the HTTP connector's tests
(issue 17 point 2).

What it serves (JSON shapes as in the OneRoster 1.2 binding: ``{"users": [...]}``, ``{"user": {...}}``,
``sourcedId``, ``status``, ``dateLastModified``, GUID references ``{"href", "sourcedId", "type"}``):

- ``POST /oauth/token``: OAuth2 client credentials, the client authenticated with HTTP Basic (client id and
  secret); bearer tokens that expire after ``token_seconds``.
- ``GET /ims/oneroster/rostering/v1p2/users`` (and ``/orgs``, ``/enrollments``, ``/demographics``),
  ``GET /ims/oneroster/gradebook/v1p2/results``: collections with ``filter=field='value'`` (dotted fields,
  ``AND``), ``limit`` / ``offset`` paging, ``X-Total-Count`` and a ``Link: <...>; rel="next"`` header.
- ``GET``, ``PATCH`` (merge of the JSON body; a test extension) and ``DELETE /ims/oneroster/rostering/v1p2/users/{id}``.

Test controls on :class:`OneRosterServer`: which authentication it demands (``auth``), the secrets, the
paging headers it sends, and switchable faults (``fault``: "500", "slow", "trickle", "malformed",
"huge", "other_student") for the next ``fault_count`` data requests (None: all). ``requests`` logs what was asked.
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

ROSTERING = "/ims/oneroster/rostering/v1p2"
GRADEBOOK = "/ims/oneroster/gradebook/v1p2"
TOKEN_PATH = "/oauth/token"
MODIFIED = "2026-09-01T08:00:00.000Z"

#: The collections and the key of one object in them (``users`` → ``user``).
COLLECTIONS = {f"{ROSTERING}/users": "users", f"{ROSTERING}/orgs": "orgs",
               f"{ROSTERING}/enrollments": "enrollments", f"{ROSTERING}/demographics": "demographics",
               f"{GRADEBOOK}/results": "results"}


def ref(kind: str, sourced_id: str, path: str) -> dict[str, str]:
    """A OneRoster GUID reference."""
    return {"href": f"{path}/{sourced_id}", "sourcedId": sourced_id, "type": kind}


@dataclass
class OneRosterServer:
    """The server's data and test controls; ``url`` is its base URL once started."""

    auth: str = "oauth2"
    client_id: str = "dsr-client"
    client_secret: str = "s3cret-client-Zx81"
    api_key_header: str = "X-API-Key"
    api_key: str = "key-Qm42-very-secret"
    username: str = "dsr"
    password: str = "pw-Lk77-secret"
    token_seconds: int = 3600
    default_limit: int = 100
    send_total: bool = True
    send_link: bool = True
    fault: str | None = None
    fault_count: int | None = None
    slow_seconds: float = 3.0
    huge_bytes: int = 3_000_000
    url: str = ""
    tokens: dict[str, float] = field(default_factory=dict)
    tokens_issued: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)
    data: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in COLLECTIONS.values()})

    # -- data -------------------------------------------------------------------------------------------
    def add_org(self, sourced_id: str, identifier: str, name: str) -> None:
        """A school (org of type school) with its identifier (dsr's school code)."""
        self.data["orgs"].append({"sourcedId": sourced_id, "status": "active", "dateLastModified": MODIFIED,
                                  "name": name, "type": "school", "identifier": identifier})

    def add_student(self, number: str, given: str, family: str, birth_date: str, *, org: str = "org-1",
                    email: str = "", metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        """A student user whose sourcedId and identifier are the student number, with demographics."""
        user = {"sourcedId": number, "status": "active", "dateLastModified": MODIFIED, "enabledUser": True,
                "username": f"{given.lower()}.{number}", "givenName": given, "familyName": family,
                "identifier": number, "email": email, "roles": [
                    {"roleType": "primary", "role": "student", "org": ref("org", org, f"{ROSTERING}/orgs")}],
                "agents": [], "metadata": dict(metadata or {})}
        self.data["users"].append(user)
        self.data["demographics"].append({"sourcedId": number, "status": "active", "dateLastModified": MODIFIED,
                                          "birthDate": birth_date})
        return user

    def add_agent(self, student: str, sourced_id: str, given: str, family: str, email: str, role: str = "parent",
                  *, gezag: bool | None = None) -> None:
        """A parent, guardian or relative of ``student`` (agents both ways, as OneRoster links them)."""
        metadata = {} if gezag is None else {"gezag": gezag}
        self.data["users"].append({
            "sourcedId": sourced_id, "status": "active", "dateLastModified": MODIFIED, "enabledUser": False,
            "username": "", "givenName": given, "familyName": family, "identifier": "", "email": email,
            "roles": [{"roleType": "primary", "role": role, "org": ref("org", "org-1", f"{ROSTERING}/orgs")}],
            "agents": [ref("user", student, f"{ROSTERING}/users")], "metadata": metadata})
        self.user(student)["agents"].append(ref("user", sourced_id, f"{ROSTERING}/users"))

    def add_result(self, student: str, line_item: str, score: float, comment: str = "") -> None:
        """A gradebook result of ``student`` for the line item (a test, an assignment)."""
        n = len(self.data["results"]) + 1
        self.data["results"].append({
            "sourcedId": f"res-{n}", "status": "active", "dateLastModified": MODIFIED,
            "lineItem": ref("lineItem", line_item, f"{GRADEBOOK}/lineItems"),
            "student": ref("user", student, f"{ROSTERING}/users"), "scoreStatus": "fully graded",
            "score": score, "scoreDate": "2026-10-01", "comment": comment})

    def add_enrollment(self, student: str, class_id: str, begin: str, end: str | None = None) -> None:
        """An enrollment of ``student`` in a class."""
        n = len(self.data["enrollments"]) + 1
        self.data["enrollments"].append({
            "sourcedId": f"enr-{n}", "status": "active", "dateLastModified": MODIFIED, "role": "student",
            "user": ref("user", student, f"{ROSTERING}/users"), "class": ref("class", class_id, f"{ROSTERING}/classes"),
            "school": ref("org", "org-1", f"{ROSTERING}/orgs"), "beginDate": begin, "endDate": end})

    def user(self, sourced_id: str) -> dict[str, Any]:
        """The user with ``sourced_id`` (KeyError if none)."""
        for user in self.data["users"]:
            if user["sourcedId"] == sourced_id:
                return user
        raise KeyError(sourced_id)

    def has_user(self, sourced_id: str) -> bool:
        """Whether the user exists (still)."""
        return any(u["sourcedId"] == sourced_id for u in self.data["users"])

    def revoke_tokens(self) -> None:
        """Forget every token issued, as a server restart or a key rotation does."""
        self.tokens.clear()

    def data_requests(self) -> list[tuple[str, str]]:
        """The requests other than the token endpoint's."""
        return [r for r in self.requests if not r[1].startswith(TOKEN_PATH)]

    # -- HTTP -------------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append((request.method, request.full_path.rstrip("?")))
        if request.path == TOKEN_PATH and request.method == "POST":
            response = self._token(request)
        elif not self._authorised(request):
            response = _json({"imsx_codeMajor": "failure", "imsx_severity": "error",
                              "imsx_description": "unauthorized"}, 401)
        else:
            response = self._fault() or self._route(request)
        return response(environ, start_response)

    def _token(self, request: Request) -> Response:
        auth = request.authorization
        if (auth is None or auth.type != "basic" or auth.username != self.client_id
                or auth.password != self.client_secret):
            return _json({"error": "invalid_client"}, 401)
        if request.form.get("grant_type") != "client_credentials":
            return _json({"error": "unsupported_grant_type"}, 400)
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.time() + self.token_seconds
        self.tokens_issued += 1
        return _json({"access_token": token, "token_type": "bearer", "expires_in": self.token_seconds,
                      "scope": request.form.get("scope", "")})

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if self.auth == "oauth2":
            token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
            return self.tokens.get(token, 0) > time.time()
        if self.auth == "api_key":
            return request.headers.get(self.api_key_header) == self.api_key
        if self.auth == "basic":
            expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return header == f"Basic {expected}"
        return True

    def _fault(self) -> Response | None:
        if self.fault is None or self.fault == "other_student" or self.fault_count == 0:
            return None
        if self.fault_count is not None:
            self.fault_count -= 1
        if self.fault == "500":
            return _json({"imsx_codeMajor": "failure", "imsx_description": "internal error"}, 500)
        if self.fault == "slow":
            time.sleep(self.slow_seconds)
            return _json({"users": []})
        if self.fault == "malformed":
            return Response('{"users": [{"sourcedId": ', content_type="application/json")
        if self.fault == "huge":
            filler = json.dumps({"sourcedId": "x", "comment": "y" * 1000})
            body = '{"results": [' + ",".join([filler] * (self.huge_bytes // len(filler) + 1)) + "]}"
            return Response(body, content_type="application/json")
        if self.fault == "trickle":  # a valid answer, a few bytes at a time: each read is quick, the whole slow
            def drip() -> Any:
                for _ in range(int(self.slow_seconds / 0.2)):
                    time.sleep(0.2)
                    yield b" "
                yield b'{"results": []}'
            return Response(drip(), content_type="application/json")
        raise AssertionError(f"unknown fault {self.fault}")

    def _other_student(self) -> bool:
        if self.fault != "other_student" or self.fault_count == 0:
            return False
        if self.fault_count is not None:
            self.fault_count -= 1
        return True

    def _route(self, request: Request) -> Response:
        if request.path in COLLECTIONS and request.method == "GET":
            return self._collection(request, COLLECTIONS[request.path])
        match = re.fullmatch(rf"{ROSTERING}/users/([^/]+)", request.path)
        if match is None:
            return _json({"imsx_codeMajor": "failure", "imsx_description": "unknown path"}, 404)
        sourced_id = match.group(1)
        if not self.has_user(sourced_id):
            return _json({"imsx_codeMajor": "failure", "imsx_codeMinor": "unknownobject",
                          "imsx_description": "unknown sourcedId"}, 404)
        user = self.user(sourced_id)
        if request.method == "GET":
            if self._other_student():
                other = next(u for u in self.data["users"] if u["sourcedId"] != sourced_id)
                return _json({"user": other})
            return _json({"user": user})
        if request.method == "DELETE":
            self.data["users"].remove(user)
            return Response(status=204)
        if request.method == "PATCH":
            try:
                change = json.loads(request.get_data(as_text=True))
            except ValueError:
                return _json({"imsx_codeMajor": "failure", "imsx_description": "bad json"}, 400)
            for key, value in change.items():
                if isinstance(value, dict) and isinstance(user.get(key), dict):
                    user[key].update(value)
                else:
                    user[key] = value
            return _json({"user": user})
        return _json({"imsx_codeMajor": "failure", "imsx_description": "method"}, 405)

    def _collection(self, request: Request, name: str) -> Response:
        try:
            rows = [r for r in self.data[name] if _matches(r, request.args.get("filter", ""))]
            limit = int(request.args.get("limit", self.default_limit))
            offset = int(request.args.get("offset", 0))
        except ValueError:
            return _json({"imsx_codeMajor": "failure", "imsx_codeMinor": "invalid_filter_field"}, 400)
        page = rows[offset:offset + limit]
        if self._other_student() and name in ("results", "users"):
            other = next(r for r in self.data[name] if r not in rows)
            page = page + [other]
        headers = {}
        if self.send_total:
            headers["X-Total-Count"] = str(len(rows))
        if self.send_link and offset + limit < len(rows):
            query = {k: v for k, v in request.args.items() if k not in ("limit", "offset")}
            query.update(limit=str(limit), offset=str(offset + limit))
            headers["Link"] = f'<{self.url}{request.path}?{urlencode(query)}>; rel="next"'
        return _json({name: page}, headers=headers)


def _json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(value), status=status, headers=headers, content_type="application/json")


def _get(row: dict[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _matches(row: dict[str, Any], expression: str) -> bool:
    """OneRoster's filter, the subset: ``field='value'`` or ``field!='value'``, joined by `` AND ``."""
    if not expression:
        return True
    for clause in expression.split(" AND "):
        match = re.fullmatch(r"\s*([\w.]+)\s*(!=|=)\s*'([^']*)'\s*", clause)
        if match is None:
            raise ValueError(clause)
        name, operator, wanted = match.groups()
        value = _get(row, name)
        if name == "role" and "roles" in row:  # users: any of their roles
            found = wanted in [r.get("role") for r in row["roles"]]
        else:
            found = str(value) == wanted
        if found != (operator == "="):
            return False
    return True


class QuietHandler(WSGIRequestHandler):
    """No access log: its lines hold the student numbers of the URLs, and the tests grep the logs."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class Running:
    """A started server: the WSGI server in a daemon thread."""

    def __init__(self, app: OneRosterServer):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        app.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="oneroster", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()

"""The OpenID Connect client: staff sign in through the school's identity provider (issue 18 point 1;
docs/sso.md).

Authlib's Flask client does the protocol: the authorization code flow with PKCE (S256), the ``state`` and
``nonce`` kept in dsr's server-signed session cookie and checked on the way back (a ``state`` works once),
and the ID token's checks: its signature against the provider's JWKS, ``iss`` (the configured issuer, which
the discovery document must also name), ``aud`` (dsr's client id), ``exp`` and ``iat`` (two minutes of leeway
for clocks), ``nonce``, ``azp`` and ``at_hash``. The discovery document and the JWKS are fetched on first use
and kept for the process; an unknown key id fetches the JWKS again (the provider rotated its keys).

The back-channel logout token (OIDC Back-Channel Logout 1.0) is checked here too, with joserfc, the JOSE
library under Authlib: the same keys, issuer and audience, the back-channel event, no ``nonce``, a ``sub``.

What can go wrong is one of two exceptions, which the views turn into a calm page:
:class:`ProviderUnavailable` (the provider cannot be reached or answers nonsense: try again later, or the
break-glass admin signs in locally) and :class:`SignInRejected` (an answer failed a check: start again).
Their ``reason`` is a short code for the log; it never holds a token, a code or a claim's value.
"""
from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError  # type: ignore[import-untyped]  # no stubs
from authlib.integrations.base_client import (  # type: ignore[import-untyped]  # no stubs
    MismatchingStateError,
    OAuthError,
)
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth  # type: ignore[import-untyped]  # no stubs
from flask import Flask, current_app, request, session
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

from ..jobs import redis_connection

#: The name of the provider's client in Authlib's registry.
CLIENT_NAME = "provider"
#: The ID and logout token signatures dsr accepts: asymmetric ones, by a key in the provider's JWKS.
SIGNING_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
                                "EdDSA"})
#: Where the Flask app keeps its own Authlib registry (one per app: tests build several apps, each with its
#: own provider).
EXTENSION = "dsr_oidc"
#: Seconds of clock difference allowed between dsr and the provider for ``exp``, ``iat`` and ``nbf``.
LEEWAY_SECONDS = 120
#: A logout token is taken only this soon after it was issued (its ``iat``), and its ``jti`` is remembered as
#: long (plus the leeway), so a captured logout token cannot be replayed (ASVS 10.5.5).
LOGOUT_TOKEN_MAX_AGE_SECONDS = 300
_LOGOUT_JTI_KEY = "dsr:sso-logout-jti:"
log = logging.getLogger(__name__)
#: Where Authlib keeps a started sign-in's state, nonce and code verifier in the session (one key per state).
_STATE_PREFIX = f"_state_{CLIENT_NAME}_"
#: The event a back-channel logout token carries (OIDC Back-Channel Logout 1.0, section 2.4).
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class ProviderUnavailable(Exception):
    """The provider could not be reached, timed out or answered something that is not OpenID Connect."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignInRejected(Exception):
    """The provider's answer (or the browser's return to dsr) failed a check; nobody is signed in."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def init_app(app: Flask) -> None:
    """Register the provider's client when ``OIDC_ISSUER`` is set; without it dsr has password sign-in only.

    Nothing is fetched here: the discovery document is read on the first sign-in, so dsr starts (and its
    break-glass sign-in works) while the provider is down.
    """
    issuer = app.config.get("OIDC_ISSUER")
    if not issuer:
        return
    scopes = list(app.config["OIDC_SCOPES"])
    if "openid" not in scopes:  # without it there is no ID token, and Authlib would check no nonce
        scopes.insert(0, "openid")
    oauth = OAuth(app)
    oauth.register(
        CLIENT_NAME,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": " ".join(scopes),
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic",
            "default_timeout": float(app.config["OIDC_TIMEOUT_SECONDS"]),
        },
    )
    app.extensions[EXTENSION] = oauth


def enabled() -> bool:
    """Whether this installation signs staff in through a provider (``OIDC_ISSUER`` is set)."""
    return EXTENSION in current_app.extensions


def _client() -> FlaskOAuth2App:
    return current_app.extensions[EXTENSION].create_client(CLIENT_NAME)


def _issuer() -> str:
    return str(current_app.config["OIDC_ISSUER"])


def _metadata(client: FlaskOAuth2App) -> Mapping[str, Any]:
    """The discovery document (fetched once per process); it must name the configured issuer
    (OpenID Connect Discovery 1.0, section 4.3), or every token's ``iss`` check would follow the document."""
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"discovery: {type(exc).__name__}") from None
    if metadata.get("issuer") != _issuer():
        client.server_metadata.clear()  # read again next time: the provider may be fixed by then
        raise ProviderUnavailable("discovery: issuer differs from OIDC_ISSUER")
    # The token checks allow the algorithms the document lists (Authlib reads this key): only signatures by
    # the provider's published keys count, never "none" (unsigned) nor HS* (keyed with dsr's own client
    # secret, which would let anyone holding that secret forge an ID token). Checked on every read, since the
    # document is kept for the life of the process.
    listed = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    allowed = [alg for alg in listed if alg in SIGNING_ALGORITHMS]
    metadata["id_token_signing_alg_values_supported"] = allowed or ["RS256"]
    return metadata


def authorize_redirect(redirect_uri: str) -> Response:
    """The redirect that sends the browser to the provider, with a fresh ``state``, ``nonce`` and PKCE
    challenge (their secrets stay in the session for the callback). Raises :class:`ProviderUnavailable`.

    One sign-in at a time per browser: an earlier unfinished one is forgotten (its return is refused), so
    pressing the button again and again never grows the session cookie past what browsers keep (4 kB).
    """
    client = _client()
    _metadata(client)
    for key in [key for key in session if key.startswith(_STATE_PREFIX)]:
        session.pop(key)
    return client.authorize_redirect(redirect_uri)


def finish_sign_in() -> dict[str, Any]:
    """On the callback: check ``state``, redeem the code (with the PKCE verifier), check the ID token and
    return its claims (with the userinfo's when the groups claim is not in the token).

    Raises :class:`SignInRejected` or :class:`ProviderUnavailable`; the ``state`` is used up either way.
    """
    client = _client()
    if _STATE_PREFIX + request.args.get("state", "") not in session:
        # Refused before any call to the provider: a return dsr did not start (or already finished) makes
        # dsr contact nobody. Authlib checks the state again below and spends it.
        raise SignInRejected("state unknown or used")
    metadata = _metadata(client)
    try:
        token = client.authorize_access_token(
            claims_options={"iss": {"essential": True, "values": [_issuer()]}}, leeway=LEEWAY_SECONDS)
    except MismatchingStateError:
        raise SignInRejected("state unknown or used") from None
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"token endpoint: {type(exc).__name__}") from None
    except JoseError as exc:  # signature, iss, aud, exp, iat, nonce, azp, at_hash
        raise SignInRejected(f"id token: {_jose_reason(exc)}") from None
    except OAuthError as exc:  # the provider's error answer (access_denied, invalid_grant, ...)
        raise SignInRejected(f"provider said {exc.error}") from None
    except (AuthlibBaseError, ValueError, KeyError) as exc:
        raise SignInRejected(f"answer: {type(exc).__name__}") from None
    claims = token.get("userinfo")
    if not claims:
        raise SignInRejected("no id token")
    claims = dict(claims)
    groups_claim = current_app.config["OIDC_GROUPS_CLAIM"]
    overage = groups_claim in (claims.get("_claim_names") or {})
    if groups_claim not in claims and not overage and metadata.get("userinfo_endpoint"):
        claims = _merge_userinfo(client, token, claims)
    return claims


def _jose_reason(exc: JoseError) -> str:
    """The check that failed, for the log: the error's code and the claim's name (never its value)."""
    claim = getattr(exc, "claim", None)
    return f"{exc.error} ({claim})" if claim else str(exc.error)


def _merge_userinfo(client: FlaskOAuth2App, token: Mapping[str, Any], claims: dict[str, Any]) -> dict[str, Any]:
    """The ID token's claims completed with the userinfo endpoint's (some providers send the groups only
    there). The ID token's own claims win; a userinfo for another ``sub`` is refused (OIDC Core 5.3.2)."""
    try:
        info = client.userinfo(token=token)
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"userinfo: {type(exc).__name__}") from None
    except (AuthlibBaseError, ValueError) as exc:
        raise SignInRejected(f"userinfo: {type(exc).__name__}") from None
    if info.get("sub") != claims.get("sub"):
        raise SignInRejected("userinfo for another subject")
    return {**info, **claims}


def end_session_url(post_logout_redirect_uri: str) -> str | None:
    """The provider's ``end_session_endpoint`` for RP-initiated logout, with dsr's ``client_id`` and where to
    come back; None when the provider has none or cannot be reached (dsr's own sign-out has happened)."""
    client = _client()
    try:
        metadata = _metadata(client)
    except ProviderUnavailable:
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    result = client.create_logout_url(post_logout_redirect_uri=post_logout_redirect_uri,
                                      client_id=client.client_id)
    return str(result["url"])


def _key_set(client: FlaskOAuth2App, *, force: bool = False) -> KeySet:
    try:
        return KeySet.import_key_set(client.fetch_jwk_set(force=force))
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"jwks: {type(exc).__name__}") from None


def validate_logout_token(logout_token: str) -> tuple[str, str]:
    """The issuer and subject a back-channel logout token names, after its checks (OIDC Back-Channel Logout
    1.0, section 2.6): signed with the provider's key, ``iss`` the configured issuer, ``aud`` dsr's client
    id, ``iat`` present (and ``exp`` not passed when given), the back-channel event in ``events``, no
    ``nonce``, a ``sub``. Raises :class:`SignInRejected` or :class:`ProviderUnavailable` (keys unreachable).
    """
    client = _client()
    metadata = _metadata(client)
    algorithms = list(metadata["id_token_signing_alg_values_supported"])  # only SIGNING_ALGORITHMS (_metadata)
    try:
        try:
            token = jwt.decode(logout_token, _key_set(client), algorithms=algorithms)
        except InvalidKeyIdError:  # the provider rotated its keys since dsr read them
            token = jwt.decode(logout_token, _key_set(client, force=True), algorithms=algorithms)
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": _issuer()},
            aud={"essential": True, "value": client.client_id},
            iat={"essential": True},
            sub={"essential": True},
        ).validate(token.claims)
    except JoseError as exc:
        raise SignInRejected(f"logout token: {_jose_reason(exc)}") from None
    except ValueError as exc:
        raise SignInRejected(f"logout token: {type(exc).__name__}") from None
    claims = token.claims
    events = claims.get("events")
    if not isinstance(events, Mapping) or not isinstance(events.get(BACKCHANNEL_EVENT), Mapping):
        raise SignInRejected("logout token: no back-channel event")
    if "nonce" in claims:  # an ID token passed off as a logout token
        raise SignInRejected("logout token: has a nonce")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise SignInRejected("logout token: no sub")
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or issued < time.time() - LOGOUT_TOKEN_MAX_AGE_SECONDS - LEEWAY_SECONDS:
        raise SignInRejected("logout token: too old")
    token_id = claims.get("jti")
    if not isinstance(token_id, str) or not 0 < len(token_id) <= 200:
        raise SignInRejected("logout token: no jti")
    if not _first_use(token_id):
        raise SignInRejected("logout token: replayed")
    return _issuer(), subject


def _first_use(token_id: str) -> bool:
    """Remember a logout token's ``jti`` (under a digest, in Redis) for as long as the token could be taken;
    False when it was seen before. Without Redis the token is taken: a replay could only sign the same
    user out again, which is no reason to leave a user signed in whom the provider signed out."""
    digest = hashlib.sha256(f"{_issuer()} {token_id}".encode()).hexdigest()
    try:
        return bool(redis_connection().set(_LOGOUT_JTI_KEY + digest, b"1", nx=True,
                                           ex=LOGOUT_TOKEN_MAX_AGE_SECONDS + 2 * LEEWAY_SECONDS))
    except RedisError as exc:
        log.warning("sso back-channel logout: jti not checked (Redis: %s)", type(exc).__name__)
        return True

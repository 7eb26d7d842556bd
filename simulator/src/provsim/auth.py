"""Control Center authentication: login, refresh, logout and Bearer-token checks.

Tokens are HS256 JWTs (the platform uses RS256; the signature algorithm is invisible to a
client).  Claims follow the platform's: `jti`, `sub`, `sid` (session), `iat`, `exp`, `iss`,
`aud`, plus `username`, `roles` and `typ` (`access` or `refresh`).  The signing key lives in
the data dir, so tokens stay valid across a restart; revocations (logout, refresh rotation,
the `expire_token` fault) are stored there too.
"""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from typing import Any, Callable

import jwt

from .engine import iso
from .store import Store

ISSUER = "provsim-control-center"
AUDIENCE = "provisioning-orchestrator"


class AuthError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def unauthorized(message: str) -> AuthError:
    return AuthError(401, "UNAUTHORIZED", message)


class Auth:
    def __init__(self, store: Store, scenario: Callable[[], Any]) -> None:
        self._store = store
        self._scenario = scenario
        key = store.get_meta("jwt_key")
        if key is None:
            key = secrets.token_hex(32)
            store.set_meta("jwt_key", key)
        self._key = key
        # Every request checks revocation: keep the (small) set in memory, the store is the record.
        self._revoked = store.revoked()
        # Decoded signatures by token: verifying HS256 on each status poll would dominate its cost.
        self._decoded: dict[str, dict[str, Any]] = {}

    def _revoke(self, kind: str, value: str) -> None:
        self._store.revoke(kind, value)
        self._revoked.add((kind, value))

    # ---- issuing ---------------------------------------------------------------------

    def login(self, username: str, password: str, mfa_code: str | None, ttl: float | None = None) -> dict[str, Any]:
        user = self._scenario().users.get(username)
        # Compare against a dummy when the user is unknown, so both failures take the same time.
        expected = user["password"] if user else secrets.token_hex(16)
        if not hmac.compare_digest(password.encode(), expected.encode()) or user is None:
            raise unauthorized("Invalid username or password")
        if user["mfa_code"] is not None:
            if mfa_code is None:
                raise unauthorized("MFA required: mfa_code missing")
            if not hmac.compare_digest(str(mfa_code).encode(), user["mfa_code"].encode()):
                raise unauthorized("Invalid mfa_code")
        return self._issue(user, str(uuid.uuid4()), ttl)

    def refresh(self, token: str | None, refresh_token: str | None, ttl: float | None = None) -> dict[str, Any]:
        """Accept a refresh token (preferred) or a still-valid access token; rotate it."""
        if refresh_token is not None:
            claims = self.verify(refresh_token, "refresh")
        elif token is not None:
            claims = self.verify(token, "access")
        else:
            raise AuthError(400, "INVALID_REQUEST", "refresh_token: required (or token)")
        user = self._scenario().users.get(claims["username"])
        if user is None:
            raise unauthorized("User no longer exists")
        self._revoke("jti", claims["jti"])  # rotation: a refresh token works once
        return self._issue(user, claims["sid"], ttl)

    def logout(self, claims: dict[str, Any]) -> None:
        self._revoke("sid", claims["sid"])  # ends the session: access and refresh tokens

    def expire(self, token: str) -> None:
        """The `expire_token` fault: the presented token stops working now."""
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER,
                                options={"verify_exp": False})
        except jwt.InvalidTokenError:
            return
        self._revoke("expired", claims["jti"])

    def _issue(self, user: dict[str, Any], session: str, ttl: float | None) -> dict[str, Any]:
        scenario = self._scenario()
        now = time.time()
        lifetime = scenario.token_ttl if ttl is None else ttl
        base = {"sub": user["id"], "username": user["username"], "roles": user["roles"], "sid": session,
                "iss": ISSUER, "aud": AUDIENCE, "iat": int(now)}
        access = jwt.encode({**base, "jti": str(uuid.uuid4()), "typ": "access", "exp": now + lifetime},
                            self._key, algorithm="HS256")
        refresh = jwt.encode({**base, "jti": str(uuid.uuid4()), "typ": "refresh", "exp": now + scenario.refresh_ttl},
                             self._key, algorithm="HS256")
        return {
            "token": access, "access_token": access, "refresh_token": refresh, "token_type": "Bearer",
            "expires_in": lifetime, "expires_at": iso(now + lifetime),
            "user": {k: user[k] for k in ("id", "username", "email", "roles")},
        }

    # ---- checking --------------------------------------------------------------------

    def authenticate(self, header: str | None) -> dict[str, Any]:
        if not header:
            raise unauthorized("Missing bearer token (Authorization: Bearer <jwt>)")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Authorization header must be 'Bearer <jwt>'")
        return self.verify(token.strip(), "access")

    def verify(self, token: str, kind: str) -> dict[str, Any]:
        claims = self._decoded.get(token)
        if claims is None:
            claims = self._decode(token)
            if len(self._decoded) > 10_000:  # bound the cache; tokens are re-decoded after
                self._decoded.clear()
            self._decoded[token] = claims
        if claims["exp"] <= time.time():
            raise unauthorized("Token expired")
        if claims.get("typ") != kind:
            raise unauthorized(f"Invalid token: not {'an access' if kind == 'access' else 'a refresh'} token")
        if ("expired", claims["jti"]) in self._revoked:
            raise unauthorized("Token expired")
        if ("jti", claims["jti"]) in self._revoked or ("sid", claims["sid"]) in self._revoked:
            raise unauthorized("Token revoked")
        if claims.get("username") not in self._scenario().users:
            raise unauthorized("Invalid token: unknown user")
        return claims

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            # PyJWT truncates `exp` to whole seconds; sub-second lifetimes (tests, the
            # expire_token fault) need the exact float comparison done below.
            claims = jwt.decode(token, self._key, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER,
                                options={"require": ["exp", "jti", "sid", "sub"], "verify_exp": False})
        except jwt.InvalidTokenError:
            raise unauthorized("Invalid token") from None
        if isinstance(claims["exp"], bool) or not isinstance(claims["exp"], (int, float)):
            raise unauthorized("Invalid token")
        return claims

"""Workspace sign-in: a signed, expiring, HttpOnly, SameSite=Strict session cookie and a CSRF token per session.

The cookie holds the key's id (a hash prefix, never the key), its role and the session's CSRF token; each request
re-checks that a configured key still has that id and role, so removing a key signs its sessions out."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from o2c.api.auth import key_digest, role_of

COOKIE = "o2c_session"
WORKSPACE_ROLES = ("reviewer", "admin")
SIGN_IN_SALT, SESSION_SALT = "o2c.workspace.sign-in", "o2c.workspace.session"


@dataclass(frozen=True)
class Reviewer:
    """Who is signed in: `name` is the same `role:key-…` the JSON API records, so claims and audits agree."""

    key_id: str
    role: str
    csrf: str

    @property
    def name(self) -> str:
        """The actor name used in claims and audit events."""
        return f"{self.role}:{self.key_id}"


class SignInRequired(Exception):
    """No valid session: the page redirects to the sign-in form."""


class CsrfRejected(Exception):
    """A form came without this session's CSRF token."""


def key_id(key: str) -> str:
    """The id the API records for a key (never the key itself)."""
    return digest_id(key_digest(key))


def digest_id(digest: str) -> str:
    """The same id, from the digest the app keeps (api.auth.hash_keys)."""
    return "key-" + digest[:8]


class SessionSigner:
    """Signs and checks session cookies and sign-in form tokens with one secret."""

    def __init__(self, secret: str | None, max_age_seconds: int):
        self._serializer = URLSafeTimedSerializer(secret or secrets.token_urlsafe(32))
        self.max_age = max_age_seconds

    def sign_in_token(self) -> str:
        """A CSRF token for the sign-in form (there is no session yet)."""
        return self._serializer.dumps(secrets.token_urlsafe(8), salt=SIGN_IN_SALT)

    def check_sign_in_token(self, token: str) -> bool:
        """True when the sign-in form's token is ours and fresh."""
        try:
            self._serializer.loads(token or "", salt=SIGN_IN_SALT, max_age=3600)
        except (BadSignature, SignatureExpired):
            return False
        return True

    def open_session(self, key: str, keys: dict[str, str]) -> tuple[Reviewer | None, str | None]:
        """(reviewer, cookie value) for a reviewer or admin key; (None, why) otherwise."""
        role = role_of(keys, key) if key else None
        if role is None:
            return None, "That API key is not known. Check it and try again."
        if role not in WORKSPACE_ROLES:
            return None, f"A {role} key cannot open the workspace; sign in with a reviewer key."
        reviewer = Reviewer(key_id(key), role, secrets.token_urlsafe(24))
        return reviewer, self._serializer.dumps(
            {"k": reviewer.key_id, "r": role, "c": reviewer.csrf}, salt=SESSION_SALT
        )

    def reviewer(self, request: Request) -> Reviewer:
        """The signed-in reviewer of this request, or SignInRequired."""
        try:
            data = self._serializer.loads(request.cookies.get(COOKIE, ""), salt=SESSION_SALT, max_age=self.max_age)
        except (BadSignature, SignatureExpired) as exc:
            raise SignInRequired() from exc
        keys = request.app.state.api_keys
        if not any(digest_id(k) == data.get("k") and r == data.get("r") for k, r in keys.items()):
            raise SignInRequired()
        if data.get("r") not in WORKSPACE_ROLES:
            raise SignInRequired()
        return Reviewer(data["k"], data["r"], data["c"])


def check_csrf(reviewer: Reviewer, token: object) -> None:
    """Refuse a form whose token is not this session's (a form field's value may also be a file)."""
    if not isinstance(token, str) or not token or not hmac.compare_digest(token.encode(), reviewer.csrf.encode()):
        raise CsrfRejected()

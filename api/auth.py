"""API keys with roles. connector: push documents; reviewer: exceptions; erp: read results, write master data;
admin: everything. No key -> 401; a key without the role -> 403."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from fastapi import Depends, HTTPException, Request, status
from fastapi.dependencies.models import Dependant
from fastapi.security import APIKeyHeader
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

ROLES = ("connector", "reviewer", "erp", "admin")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key issued to a role.")


def caller_role(request: Request, key: str | None = Depends(api_key_header)) -> tuple[str, str]:
    """(key id, role) for the presented key, or 401."""
    if not key:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing X-API-Key header", headers={"WWW-Authenticate": "APIKey"}
        )
    role = role_of(request.app.state.api_keys, key)
    if role is not None:
        return "key-" + key_digest(key)[:8], role
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown API key", headers={"WWW-Authenticate": "APIKey"})


def key_digest(key: str) -> str:
    """The SHA-256 of a key: what is kept in memory and may be configured instead of the key itself."""
    return hashlib.sha256(key.encode()).hexdigest()


def hash_keys(roles: dict[str, str]) -> dict[str, str]:
    """{key: role} as {sha256(key): role}; a configured 'sha256=<hex>' entry is already a digest."""
    return {
        (key.removeprefix("sha256=").lower() if key.startswith("sha256=") else key_digest(key)): role
        for key, role in roles.items()
        if key
    }


def role_of(hashed: dict[str, str], key: str) -> str | None:
    """The role of a presented key, comparing digests in constant time; None when unknown."""
    digest = key_digest(key).encode()
    found = None
    for known, role in hashed.items():
        if hmac.compare_digest(known.encode(), digest):
            found = role
    return found


def require(*roles: str) -> Callable[..., str]:
    """A dependency that admits the given roles (and admin) and returns the caller's name for audit."""

    def check(caller: tuple[str, str] = Depends(caller_role)) -> str:
        key_id, role = caller
        if not may(role, roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN, refusal(role, roles))
        return f"{role}:{key_id}"

    check.roles = roles  # type: ignore[attr-defined]  # read by route_roles, before the body is touched
    return check


def route_roles(routes: list[BaseRoute], scope: Scope) -> tuple[str, ...] | None:
    """The roles the route a request is for admits (its `require` dependency; admin always), so a wrong role
    is refused before the body is read; None when no route matches or the route names no roles."""
    for route in routes:
        match, _child = route.matches(scope)
        if match == Match.FULL:
            return _required(getattr(route, "dependant", None))
    return None


def _required(dependant: Dependant | None) -> tuple[str, ...] | None:
    for dependency in dependant.dependencies if dependant is not None else []:
        roles = getattr(dependency.call, "roles", None)
        if roles is not None:
            return tuple(roles)
        if (deeper := _required(dependency)) is not None:
            return deeper
    return None


def may(role: str, roles: tuple[str, ...]) -> bool:
    """True when a caller of this role may use a route that admits these roles."""
    return role == "admin" or role in roles


def refusal(role: str, roles: tuple[str, ...]) -> str:
    """What a 403 says."""
    return f"role '{role}' may not do this; needs {' or '.join(roles)}"

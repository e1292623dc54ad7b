"""API keys with roles. connector: push documents; reviewer: exceptions; erp: read results, write master data;
admin: everything. No key -> 401; a key without the role -> 403."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader

ROLES = ("connector", "reviewer", "erp", "admin")
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key issued to a role.")


def caller_role(request: Request, key: str | None = Depends(api_key_header)) -> tuple[str, str]:
    """(key id, role) for the presented key, or 401."""
    if not key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing X-API-Key header",
                            headers={"WWW-Authenticate": "APIKey"})
    for known, role in request.app.state.api_keys.items():
        if hmac.compare_digest(known.encode(), key.encode()):
            return "key-" + hashlib.sha256(known.encode()).hexdigest()[:8], role
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown API key", headers={"WWW-Authenticate": "APIKey"})


def require(*roles: str) -> Callable[..., str]:
    """A dependency that admits the given roles (and admin) and returns the caller's name for audit."""

    def check(caller: tuple[str, str] = Depends(caller_role)) -> str:
        key_id, role = caller
        if role != "admin" and role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role '{role}' may not do this; needs {' or '.join(roles)}")
        return f"{role}:{key_id}"

    return check

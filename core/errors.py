"""One error base class that carries its HTTP status; packages define named subclasses in their errors.py."""

from __future__ import annotations


class O2CError(Exception):
    """Base of every error o2c raises on purpose; `status` is the HTTP status the API answers with."""

    status: int = 400
    code: str = "o2c_error"

    def __init__(self, message: str, **detail):
        super().__init__(message)
        self.message = message
        self.detail = detail

    def to_json(self) -> dict:
        """The JSON body the API returns for this error."""
        return {"error": self.code, "message": self.message, **({"detail": self.detail} if self.detail else {})}


class NotFound(O2CError):
    """The thing asked for does not exist."""

    status = 404
    code = "not_found"


class Conflict(O2CError):
    """The request contradicts the current state (a business rule or a concurrent change)."""

    status = 409
    code = "conflict"


class InvalidInput(O2CError):
    """The input is malformed (a bad file, a CSV with missing columns)."""

    status = 422
    code = "invalid_input"

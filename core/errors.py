"""One error base class that carries its HTTP status; packages define named subclasses in their errors.py."""

from __future__ import annotations

import errno


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


class AmountNotStorable(InvalidInput):
    """An amount or quantity the ledger cannot keep exactly (core.money.storable): refused, never rounded."""

    code = "amount_out_of_range"


class EnvironmentFault(O2CError):
    """o2c's surroundings failed, not the document (an engine missing, a server down, the disk full): retry later."""

    status = 503
    code = "environment_fault"


class EngineMissing(EnvironmentFault):
    """A program o2c needs (Tesseract, a language pack) is not installed or not on PATH."""

    code = "engine_missing"


class ConfigurationError(O2CError):
    """The settings contradict each other or leave something unsafe (e.g. a webhook URL without a secret)."""

    status = 500
    code = "configuration_error"


# errno values that say the machine, not the file, is at fault: disk full, quota, I/O error, too many files.
_ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.EROFS}


def is_transient(exc: BaseException) -> bool:
    """True for a fault of the environment or a passing one (retry it); False for a fault of the document.

    The failure taxonomy in one place: EnvironmentFault, timeouts, lost connections (database, Redis, network)
    and OS errors of the machine (disk full, I/O) are transient; anything else would fail the same way again."""
    if isinstance(exc, EnvironmentFault | TimeoutError | ConnectionError):
        return True
    if isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_ERRNOS:
        return True
    # third-party connection errors, matched by name so core stays free of their imports
    names = {cls.__module__.split(".")[0] + "." + cls.__name__ for cls in type(exc).__mro__}
    return bool(
        names
        & {
            "sqlalchemy.OperationalError",
            "sqlalchemy.InterfaceError",
            "redis.ConnectionError",
            "redis.TimeoutError",
            "psycopg.OperationalError",
            "sqlalchemy.TimeoutError",
        }
    )

"""Named extraction errors: why a file could not be read."""

from o2c.core.errors import O2CError


class UnreadableDocument(O2CError):
    """The file cannot be read at all (corrupt, encrypted, empty, over a limit); `reason` says which."""

    status = 422
    code = "unreadable"

    def __init__(self, message: str, *, reason: str = "unreadable", **detail):
        super().__init__(message, reason=reason, **detail)
        self.reason = reason

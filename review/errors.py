"""Named review errors."""

from core.errors import Conflict, InvalidInput, NotFound


class ExceptionNotFound(NotFound):
    """No exception with that id."""

    code = "exception_not_found"


class ExceptionClaimedByOther(Conflict):
    """Another reviewer holds the claim on this exception."""

    code = "exception_claimed"


class ExceptionClosed(Conflict):
    """The exception is already resolved or dismissed."""

    code = "exception_closed"


class InvalidResolution(InvalidInput):
    """The resolution names an unknown action or lacks what the action needs."""

    code = "invalid_resolution"

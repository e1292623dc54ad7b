"""Named review errors."""

from o2c.core.errors import Conflict, InvalidInput, NotFound


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


class AliasNotFound(NotFound):
    """No learned alias with that id (or of that kind)."""

    code = "alias_not_found"


class UnknownCandidate(NotFound):
    """The customer, SKU or invoice a reviewer chose does not exist in master data."""

    code = "unknown_candidate"


class NotApplicable(Conflict):
    """The resolution does not fit this exception (e.g. applying cash to a purchase order)."""

    code = "resolution_not_applicable"

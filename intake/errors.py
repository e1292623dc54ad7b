"""Named intake errors."""

from o2c.core.errors import O2CError


class DocumentTooLarge(O2CError):
    """An upload exceeded the configured size limit."""

    status = 413
    code = "document_too_large"


class UnsupportedMediaType(O2CError):
    """The file is of a type o2c cannot read."""

    status = 415
    code = "unsupported_media_type"


class EmptyDocument(O2CError):
    """The file has no bytes."""

    status = 422
    code = "empty_document"

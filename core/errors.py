"""Domain errors shared by every area.

Domain functions raise a :class:`DomainError` (or a subclass) whose ``message`` is a lazily translated
string, so a view can show it to the user in their language without knowing which rule was broken.
"""


class DomainError(Exception):
    """A rule of the business was broken by the input; nothing was written.

    Args:
        message: a translatable (lazy) string shown to the user as is.
        field: the form field the message belongs to, or ``None`` for the whole form.
        status: the HTTP status a view should answer with (422 for bad input, 409 for a conflict).
    """

    status = 422

    def __init__(self, message, field=None, status=None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


class NotFound(DomainError):
    """The thing asked for does not exist (an unknown tag, consignor or sale)."""

    status = 404


class Conflict(DomainError):
    """The request was valid but the state of the shop forbids it (e.g. the item was sold meanwhile)."""

    status = 409

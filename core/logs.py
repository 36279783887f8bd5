"""Log lines never carry what people typed (issue 9 §7; design brief §6: no personal data in logs).

Why they did: a traceback ends with the exception's message, and Python's own messages quote the input
they choke on — ``int("138…")`` ("invalid literal for int() with base 10: '138…'", 200 characters),
``datetime.strptime`` and ``date.fromisoformat`` (the whole value), a ``KeyError`` (the whole key),
WTForms and Jinja the same. Flask logs every unhandled exception with its traceback ("Exception on
/path [POST]"), waitress logs what escapes the app ("Exception while serving"), our workers log theirs:
a phone number, an ID number or a 100 000-character field ended up in the log file.

The fix is one place for every logger: :func:`protect_logs` installs a log-record factory (the hook the
standard library calls for every record of every logger, before any filter or handler sees it) that
renders an exception as its traceback — files, lines, functions and source lines, which are code — and
its type, with the message withheld (only its length is kept). Exceptions whose messages come from
SQLite (``sqlite3.Error``: SQL and constraint names, never bound values) and the errno/strerror of an
``OSError`` (no file name) are kept, because they say what went wrong with the hub itself. An exception
passed as a log argument (``log.error("failed: %s", exc)``) is shortened the same way. No frame's local
variables are ever rendered. Truncating instead would still leak the first characters (a phone number
fits in 11).
"""

import logging
import sqlite3
import traceback

_MARK = "_resale_protected"


def describe(exc):
    """``module.Type: message`` for an exception, with the message withheld unless it is known to hold no
    input: ``sqlite3.Error`` (SQLite's own text) and ``OSError`` (errno and strerror, no file name).

    Returns:
        str: e.g. ``"ValueError: <message withheld: 212 characters>"``.
    """
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(exc, sqlite3.Error):
        detail = str(exc)
    elif isinstance(exc, OSError) and exc.errno is not None:
        detail = f"[Errno {exc.errno}] {exc.strerror}"
    else:
        try:
            length = len(str(exc))
        except Exception:  # noqa: BLE001 - a broken __str__ must not break logging
            length = -1
        detail = f"<message withheld: {length} characters>" if length else ""
    return f"{name}: {detail}" if detail else name


def format_exception(exc):
    """The traceback of ``exc`` and of the exceptions it was raised from or while handling (the same chain
    and wording Python prints), every message replaced by :func:`describe`, no local variables.

    Returns:
        str: the text, without a trailing newline.
    """
    parts = []
    seen = set()

    def add(current):
        seen.add(id(current))
        cause, context = current.__cause__, current.__context__
        if cause is not None and id(cause) not in seen:
            add(cause)
            parts.append("\nThe above exception was the direct cause of the following exception:\n\n")
        elif context is not None and not current.__suppress_context__ and id(context) not in seen:
            add(context)
            parts.append("\nDuring handling of the above exception, another exception occurred:\n\n")
        if current.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.StackSummary.extract(traceback.walk_tb(current.__traceback__),
                                                        capture_locals=False).format())
        parts.append(describe(current) + "\n")

    add(exc)
    return "".join(parts).rstrip("\n")


def _safe_arg(value):
    return describe(value) if isinstance(value, BaseException) else value


def protect_logs():
    """Install the record factory for the whole process (idempotent). Called by ``create_app`` and the
    ``resale-pos`` command, before anything logs."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, _MARK, False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = format_exception(record.exc_info[1])
            record.exc_info = None  # no handler or formatter can render the original again
        if isinstance(record.msg, BaseException):
            record.msg = describe(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_safe_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _safe_arg(v) for k, v in record.args.items()}
        return record

    setattr(factory, _MARK, True)
    logging.setLogRecordFactory(factory)

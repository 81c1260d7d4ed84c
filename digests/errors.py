"""Errors said in one line, for logs and admins: a database error without the statement and
the parameters that SQLAlchemy's message includes."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError


def one_line(exc: BaseException, limit: int = 300) -> str:
    """`ClassName: first line of the message`, at most `limit` characters."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = (str(cause).strip().splitlines() or [""])[0]
    return f"{cause.__class__.__name__}: {first}"[:limit]

"""One exception hierarchy for the whole product, with the exit code and HTTP status of each.

Every error the library raises on purpose is a :class:`GongkaiError`. The CLI turns one into a
line on stderr and ``exit_code``; the web app into a page or ``{"error": …}`` with
``http_status``. Anything else is a bug: exit 6 / HTTP 500, with nothing of its text shown.

It lives in ``archive/`` because that is the lowest layer: the archive, the indexer, the web
app and the CLI all raise these, and nothing here imports anything of theirs.

Exit codes (documented in the README and in ``gongkai --help``)::

    0 success
    1 some items failed (import) or a check found problems (verify)
    2 usage error, bad input or an unreadable query
    3 a checked document is not valid
    4 not found
    5 data directory busy (another writer)
    6 any other error
    7 stored data is damaged (run ``gongkai verify``)
    8 this account cannot read (or write) what it needs in the data directory
    130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import errno

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_VALID = 3
EXIT_NOT_FOUND = 4
EXIT_BUSY = 5
EXIT_ERROR = 6
EXIT_DAMAGED = 7
EXIT_ACCESS = 8
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


class GongkaiError(Exception):
    """Base of every error Gongkai raises on purpose; its message is safe to show."""

    exit_code = EXIT_ERROR
    http_status = 500


class InvalidInput(GongkaiError, ValueError):
    """Bad input from a person: an option, a field, a query, a manifest row (exit 2, 400).

    Also a :class:`ValueError`, so that code which validates with ``except ValueError`` keeps
    working."""

    exit_code = EXIT_USAGE
    http_status = 400


class NotFoundError(GongkaiError, LookupError):
    """The document, relation, account or data directory asked for does not exist (4, 404)."""

    exit_code = EXIT_NOT_FOUND
    http_status = 404

    def __str__(self) -> str:  # LookupError would quote a lone argument like KeyError does
        return str(self.args[0]) if self.args else ""


class BusyError(GongkaiError, RuntimeError):
    """Another process is writing to this data directory (exit 5, HTTP 503)."""

    exit_code = EXIT_BUSY
    http_status = 503


class UnavailableError(BusyError):
    """The archive's database server does not answer (PostgreSQL restarting, the network
    down): nothing was changed; try again shortly (exit 5, HTTP 503)."""


class ConflictError(InvalidInput):
    """The change contradicts what is stored (a duplicate id, an engine change that needs a
    reindex); exit 2, HTTP 409."""

    http_status = 409


class DamagedError(GongkaiError):
    """Stored data cannot be read as it should: a row that does not decode, a database page
    SQLite finds corrupt, an index that cannot be opened (exit 7, HTTP 503). ``gongkai
    verify`` lists every such problem with the document it affects, and says what
    ``verify --repair`` (the index) or a re-import or a backup (the archive) can mend."""

    exit_code = EXIT_DAMAGED
    http_status = 503


class IndexDamagedError(DamagedError, RuntimeError):
    """The search index cannot be read (a segment file deleted or truncated): searches fail
    with this, one clear line or a 503 page, until ``gongkai verify --repair`` rebuilds the
    index from the archive (exit 7, HTTP 503)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "the search index needs repair (a file of it is missing or damaged); "
            "run `gongkai verify --repair`"
        )


class AccessError(GongkaiError, PermissionError):
    """The account running Gongkai may not read (or write) a file of the data directory: the
    web server run by another user than the importer without a shared group (see ``gongkai
    init --group``); exit 8, HTTP 503. The message names the file and the account."""

    exit_code = EXIT_ACCESS
    http_status = 503


#: What SQLite says when a write finds no room (SQLITE_FULL).
_SQLITE_FULL = "database or disk is full"


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or the user's quota) is full: an ``OSError`` with
    ENOSPC or EDQUOT, or SQLite's SQLITE_FULL."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return _SQLITE_FULL in str(exc) or getattr(exc, "sqlite_errorcode", None) == 13

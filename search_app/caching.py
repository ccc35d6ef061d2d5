"""HTTP validators and a page cache that are never stale.

A public page is a function of four things: the archive, the index, today's date (a repeal
dated tomorrow flips at midnight) and the code that renders it. :class:`State` is those four
as cheap numbers, read once per request:

- the archive's change counter (:meth:`archive.Archive.changes`: one row, kept by triggers
  on every table a reader sees, the same in every process, unlike ``PRAGMA data_version``);
- the index's directory stamp (its ``mtime_ns``: both engines commit by creating or renaming
  files in it, so every commit changes it; an extra change only costs a cache miss);
- today's date (:func:`archive.validity.today`);
- the code: the newest modification time of the package sources and templates, taken once at
  start, the same in every worker of one installation.

From it every anonymous ``GET`` of a public page or API answer gets an ``ETag`` and a
``Last-Modified`` (the latest of the last archive change, the last index commit, today's
midnight and the code), and ``If-None-Match`` / ``If-Modified-Since`` that still match are
answered ``304`` without running the view. Result pages (``/search``, ``/api/v1/search``, ``/``)
are also kept in a small in-process LRU keyed by the full URL and the state, so a repeated
query costs a dictionary look-up. A staff change made in any worker changes the counter (and
the index stamp), so the next request in every worker misses its cache and reloads its
engine (:func:`fresh_engine`).

Never cached or validated: anything with a cookie (signed-in staff, whose pages carry a CSRF
token; a visitor with flash messages), anything that writes to the session (the /check form's
CSRF token), staff pages, non-``GET`` requests, answers other than 200, and everything when the
archive has no counter (an old archive served read-only before its migration).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request, session

from archive import validity
from search_app import get_gk

#: Public pages and API answers that get validators (``GET`` only).
VALIDATED = frozenset(
    {
        "search.home",
        "search.results",
        "document.show",
        "document.by_doc_number",
        "feed.atom",
        "api.search",
        "api.document",
        "api.by_doc_number",
        "api.cluster",
        "api.check",
        "api.feed",
        "api.openapi",
    }
)
#: Pages whose rendered bodies are kept in the LRU (the expensive ones).
CACHED = frozenset({"search.home", "search.results", "api.search"})
#: POSTs that only read (a batch validity check sends its references in the body): like a
#: GET, they read the change stamps once, not once per reference.
READ_ONLY_POSTS = frozenset({"api.check", "check.page"})
#: Rendered result pages kept per process (``PAGE_CACHE_SIZE`` in the config; 0 turns it off).
PAGE_CACHE_SIZE = 256
#: Response headers stored with a cached page (the rest are added per response).
_KEPT_HEADERS = ("Content-Type",)


@dataclass(frozen=True)
class State:
    """What every public answer depends on, as of this request."""

    counter: int
    changed_at: str  # ISO UTC of the last archive change
    index: int  # the index directory's mtime_ns
    today: str

    def etag(self, code: str, host: str) -> str:
        raw = f"{code}|{self.counter}|{self.index}|{self.today}|{host}"
        return '"' + hashlib.sha256(raw.encode()).hexdigest()[:24] + '"'

    def last_modified(self, code_time: float) -> datetime:
        changed = datetime.fromisoformat(self.changed_at.replace("Z", "+00:00"))
        indexed = datetime.fromtimestamp(self.index / 1e9, UTC)
        midnight = datetime.fromisoformat(self.today).astimezone(UTC)
        code = datetime.fromtimestamp(code_time, UTC)
        return max(changed, indexed, midnight, code).replace(microsecond=0)


class PageCache:
    """A thread-safe LRU of (status, body, headers) by key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict[tuple, tuple[int, bytes, dict[str, str]]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> tuple[int, bytes, dict[str, str]] | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                self.misses += 1
                return None
            self._pages.move_to_end(key)
            self.hits += 1
            return page

    def put(self, key: tuple, page: tuple[int, bytes, dict[str, str]]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)


def register(app: Flask) -> None:
    """Install validators, 304s and the page cache on ``app`` (after auth: it reads
    ``g.user``)."""
    app.extensions["gongkai_pages"] = PageCache(int(app.config.get("PAGE_CACHE_SIZE", 256)))
    app.extensions["gongkai_code"] = _code_stamp()
    app.before_request(_before)
    app.after_request(_after)
    app.teardown_request(_unpin)


def _unpin(_exc: BaseException | None = None) -> None:
    """The request is over: the next one reads the change stamps again."""
    archive = g.pop("gongkai_pinned", None)
    if archive is not None:
        archive.unpin()


def current_state() -> State | None:
    """This request's :class:`State` (read once), or None when the archive has no counter."""
    if "gongkai_state" in g:
        return g.gongkai_state
    gk = get_gk()
    if request.method in ("GET", "HEAD") or request.endpoint in READ_ONLY_POSTS:
        # a read: one look at the change stamps
        gk.archive.pin()
        g.gongkai_pinned = gk.archive
    changes = gk.archive.changes()
    state = None
    if changes is not None:
        state = State(changes[0], changes[1], _index_stamp(gk), validity.today())
    g.gongkai_state = state
    return state


def fresh_engine(state: State | None) -> None:
    """Reload this thread's engine when the archive or the index changed since its last
    request: a change made by another process is then seen at once, not after the engine's
    own reload delay."""
    local = current_app.extensions["gongkai_local"]
    gk = get_gk()
    seen = (
        (state.counter, state.index)
        if state is not None
        else (gk.archive.version(), _index_stamp(gk))
    )
    last = getattr(local, "seen", None)
    if last is not None and last != seen:
        gk.engine.refresh()
    local.seen = seen


def _index_stamp(gk: Any) -> int:
    from indexer.engines import index_path

    try:
        return index_path(gk.data_dir, gk.engine_name).stat().st_mtime_ns
    except OSError:
        return 0


def _code_stamp() -> tuple[str, float]:
    """(a token, the newest modification time) of the sources and templates."""
    root = Path(__file__).resolve().parent.parent
    newest = 0.0
    for package in ("archive", "indexer", "search_app"):
        for path in (root / package).rglob("*"):
            if path.suffix in (".py", ".html", ".xml", ".json", ".txt", ".css", ".js"):
                try:
                    newest = max(newest, path.stat().st_mtime)
                except OSError:
                    continue
    return f"{newest:.6f}", newest


def _validated() -> bool:
    """Whether this request may get validators and cached answers."""
    if request.method not in ("GET", "HEAD") or request.endpoint not in VALIDATED:
        return False
    # Any cookie may make the page personal (a staff session, flashed messages).
    return not request.cookies and not g.get("user")


def _before() -> Response | None:
    if request.endpoint in (None, "static"):
        return None
    state = current_state()
    fresh_engine(state)
    if state is None or not _validated():
        return None
    code, code_time = current_app.extensions["gongkai_code"]
    etag = state.etag(code, request.host_url)
    modified = state.last_modified(code_time)
    g.gongkai_validators = (etag, modified)
    if _not_modified(etag, modified):
        g.gongkai_hit = True
        return Response(status=304)
    if request.endpoint in CACHED:
        page = current_app.extensions["gongkai_pages"].get(_page_key(state))
        if page is not None:
            g.gongkai_hit = True
            status, body, headers = page
            return Response(body, status=status, headers=headers)
    return None


def _after(response: Response) -> Response:
    validators = g.get("gongkai_validators")
    if validators is None or response.status_code not in (200, 304):
        return response
    if session.modified or "Set-Cookie" in response.headers:
        return response  # personal after all (a CSRF token was made): no validators
    etag, modified = validators
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = format_datetime(modified, usegmt=True)
    response.headers["Cache-Control"] = "no-cache"  # keep it, but ask again each time
    response.vary.add("Cookie")
    if (
        response.status_code == 200
        and request.endpoint in CACHED
        and not g.get("gongkai_hit")
        and request.method == "GET"
        and not response.direct_passthrough
    ):
        state = current_state()
        if state is not None:
            headers = {k: response.headers[k] for k in _KEPT_HEADERS if k in response.headers}
            page = (response.status_code, response.get_data(), headers)
            current_app.extensions["gongkai_pages"].put(_page_key(state), page)
    return response


def _page_key(state: State) -> tuple:
    """The full URL (host, path and query string), the state, and whether signed in (never,
    today: signed-in requests are not cached, but the key says so should that change)."""
    return (request.url, state.counter, state.index, state.today, bool(g.get("user")))


def _not_modified(etag: str, modified: datetime) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:  # takes precedence over If-Modified-Since (RFC 9110 13.2.2)
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return modified <= when
    return False

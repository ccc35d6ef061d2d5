"""Running the site in production: several processes with gunicorn, or waitress.

Why processes: one Python process serves one request's Python at a time whatever the cores
(the GIL), and a results page is mostly Python (re-ranking, snippets, templates). gunicorn's
master builds the app once (:func:`search_app.create_app`), runs one search through it (so the
code, the compiled templates, the segmenter's dictionary and the archive's vocabulary are in
memory), closes what it opened, and only then listens and forks ``workers`` processes, each
with ``threads`` threads (``gthread``). A worker is ready the moment it is forked: no request
waits for a process to load (at 100,000 documents that was 1–4 s per new process), and the
loaded pages are shared between the workers until one writes them. Each thread opens the
archive and the index read-only on first use, after the fork, so no connection is shared
between processes. A change made anywhere (a staff form in another worker, an import from
the command line) is seen by the next request in every worker: the archive's change counter
is read per request (:mod:`search_app.caching`).

``kill -HUP`` on the master builds and warms a fresh app (the configuration and the engine
named in the data directory, e.g. after ``gongkai reindex --engine …``) and then replaces the
workers while the old ones finish their requests; the Python code stays what the master
loaded. To run new code without a gap, ``kill -USR2`` starts a new master with the code on
disk beside the old one, and ``kill -TERM`` on the old master then stops it after the requests
in flight (gunicorn's upgrade on the fly). ``TERM`` alone stops after the requests in flight.

waitress (one process, threads) is kept for systems where gunicorn does not run (Windows) or
when asked for (``--server waitress``).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

#: Servers ``gongkai serve --server`` accepts; ``auto`` is gunicorn where it runs.
SERVERS = ("auto", "gunicorn", "waitress")


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def gunicorn_available() -> bool:
    try:
        import gunicorn.app.base  # noqa: F401  (needs fcntl: POSIX only)
    except ImportError:
        return False
    return True


def pick_server(name: str) -> str:
    """The server ``name`` stands for here (``auto`` → gunicorn if it runs, else waitress)."""
    if name == "auto":
        return "gunicorn" if gunicorn_available() else "waitress"
    if name == "gunicorn" and not gunicorn_available():
        raise RuntimeError("gunicorn is not installed or does not run here; use --server waitress")
    return name


def warmed(factory: Callable[[], Any]) -> Callable[[], Any]:
    """``factory`` followed by one search through the app, so that what a process loads once
    (the segmenter's dictionary, the archive's vocabulary, the engine) is loaded before the
    worker takes its first request rather than by it."""

    def build() -> Any:
        app = factory()
        for name in app.jinja_env.list_templates(extensions=["html", "xml", "txt"]):
            app.jinja_env.get_template(name)  # compiled once, here, not by a reader
        with app.test_client() as client:
            client.get("/search?q=%E5%85%AC%E5%BC%80")  # 公开
            client.get("/")
        # What this thread opened (archive connection, index reader) is closed here, so a
        # process forked from this one (gunicorn's workers) inherits no open handle.
        local = app.extensions["gongkai_local"]
        gk = getattr(local, "gk", None)
        if gk is not None:
            gk.close()
            local.gk = None
        return app

    return build


def run(
    factory: Callable[[], Any],
    *,
    server: str,
    host: str,
    port: int,
    workers: int,
    threads: int,
) -> None:
    """Serve the app ``factory`` builds until stopped. With gunicorn, each worker calls
    ``factory`` itself (after the fork, so no connection is shared between processes)."""
    if server == "waitress":
        from waitress import serve

        logging.getLogger("waitress.queue").addFilter(QueueWarnings())
        serve(factory(), host=host, port=port, threads=threads, ident="gongkai")
        return
    _gunicorn_app(factory, host=host, port=port, workers=workers, threads=threads).run()


class QueueWarnings(logging.Filter):
    """waitress warns "Task queue depth is N" at every request that finds all its threads
    busy: under a burst of requests, a line a request (1,500 lines for 1,500 requests of 20
    clients), which floods an operator's log (and stops the server if its log is a pipe that
    fills). One warning every ``every`` seconds goes through, saying the deepest queue and how
    many warnings it stands for; the first always does."""

    def __init__(self, every: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every, self.clock = every, clock
        self.last: float | None = None
        self.deepest, self.held = 0, 0

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        depth = args[0] if args and isinstance(args[0], int) else 0
        self.deepest, self.held = max(self.deepest, depth), self.held + 1
        now = self.clock()
        if self.last is not None and now - self.last < self.every:
            return False
        if self.last is not None and self.held > 1:
            record.msg = "Task queue depth is %d (deepest %d; %d such warnings in %.0f s)"
            record.args = (depth, self.deepest, self.held, now - self.last)
        self.last, self.deepest, self.held = now, 0, 0
        return True


def _gunicorn_app(
    factory: Callable[[], Any], *, host: str, port: int, workers: int, threads: int
) -> Any:
    from gunicorn.app.base import BaseApplication

    class GongkaiApplication(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": threads,
                "timeout": 300,  # a staff upload is imported inside its request
                "graceful_timeout": 30,
                "keepalive": 5,
                "proc_name": "gongkai",
                "errorlog": "-",
                "loglevel": "warning",
                "preload_app": True,  # workers are forked ready (see the module's docstring)
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return factory()

        def reload(self) -> None:  # HUP: a fresh app, built and warmed before the new workers
            super().reload()
            self.callable = None

    return GongkaiApplication()


def check_site(data_dir: Path) -> None:
    """Refuse to serve ``data_dir`` when it holds no archive (NotFoundError, exit 4) or when
    this account cannot read what the site reads (exit 8, see :mod:`search_app.access`)."""
    from archive import Archive
    from archive.errors import NotFoundError
    from search_app.access import check_access

    readable = os.access(data_dir, os.R_OK | os.X_OK)
    if not data_dir.is_dir() or (readable and not Archive.present(data_dir)):
        raise NotFoundError(f"no Gongkai archive in {data_dir} (run `gongkai import` first)")
    check_access(data_dir)


def serve_site(
    data_dir: Path,
    *,
    server: str,
    host: str,
    port: int,
    workers: int | None,
    threads: int,
    base_url: str,
    secure_cookies: bool | None,
    announce: Callable[[str], None],
) -> None:
    """``gongkai serve``: build the app once (it checks the data directory and applies
    migrations before any worker starts), say what runs where through ``announce``, and serve
    until stopped. An unusable ``server`` choice is an InvalidInput (exit 2)."""
    from archive.errors import InvalidInput
    from search_app import create_app

    try:
        chosen = pick_server(server)
    except RuntimeError as exc:
        raise InvalidInput(str(exc)) from exc
    config = {
        "DATA_DIR": data_dir,
        "BASE_URL": base_url or f"http://{host}:{port}",
        "SESSION_COOKIE_SECURE": secure_cookies,
    }
    factory = partial(create_app, config)
    factory()  # checks the data directory and applies migrations once, before any worker
    count = 1 if chosen == "waitress" else workers or default_workers()
    announce(
        f"Gongkai serving {data_dir} on http://{host}:{port}/ "
        f"({chosen}, {count} process{'es' if count > 1 else ''} × {threads} threads, "
        f"pid {os.getpid()})"
    )
    run(warmed(factory), server=chosen, host=host, port=port, workers=count, threads=threads)

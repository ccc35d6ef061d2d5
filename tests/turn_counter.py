"""A loopback TCP relay to a PostgreSQL server that counts the client's turns: how many times
the client spoke after the server had answered. Each turn is a round trip the client waited
for, whatever the statements were, so a test can say "these reads took one round trip" by
counting rather than by timing.

    with TurnCounter("localhost", 5432) as relay:
        conn = PgConnection(url_through(url, relay.port))
        before = relay.turns
        ...
        assert relay.turns - before == 1
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit


class TurnCounter:
    """Relays one client connection at a time to ``host:port``, counting turns."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.turns = 0
        self._last = ""  # who spoke last: "client" or "server"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> TurnCounter:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(5)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            thread = threading.Thread(target=self._relay, args=(client, server), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _relay(self, client: socket.socket, server: socket.socket) -> None:
        with client, server, selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ, ("client", server))
            selector.register(server, selectors.EVENT_READ, ("server", client))
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=0.2):
                    side, other = key.data
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    with self._lock:
                        if side == "client" and self._last != "client":
                            self.turns += 1
                        self._last = side
                    with contextlib.suppress(OSError):
                        other.sendall(data)


def url_through(url: str, port: int) -> str:
    """``url`` with its host and port replaced by the relay's."""
    parts = urlsplit(url)
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{auth}127.0.0.1:{port}"))

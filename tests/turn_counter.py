"""A loopback TCP relay to a PostgreSQL server that counts round trips: how many times the
server said it was ready for the next query (a ReadyForQuery message: one per statement sent
alone, one per pipeline of statements). So a test can say "these reads took one round trip"
by counting rather than by timing. The relayed connection runs without TLS
(:func:`url_through` asks for that), so that the relay can read the messages' types.

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
        self._listener.settimeout(0.2)  # (to see the stop: closing does not wake accept)
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            server = socket.create_connection(self.target)
            thread = threading.Thread(target=self._relay, args=(client, server), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _relay(self, client: socket.socket, server: socket.socket) -> None:
        pending = b""  # the server's bytes not yet read as whole messages
        with client, server, selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ, ("client", server))
            selector.register(server, selectors.EVENT_READ, ("server", client))
            while not self._stop.is_set():
                for key, _ in selector.select(timeout=0.2):
                    side, other = key.data
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    if side == "server":
                        pending = self._count(pending + data)
                    with contextlib.suppress(OSError):
                        other.sendall(data)

    def _count(self, data: bytes) -> bytes:
        """Count the ReadyForQuery messages among the server's whole messages in ``data``
        (each a type byte and a length); returns the bytes of the message not yet whole."""
        while len(data) >= 5:
            end = 1 + int.from_bytes(data[1:5], "big")
            if len(data) < end:
                break
            if data[:1] == b"Z":
                with self._lock:
                    self.turns += 1
            data = data[end:]
        return data


def url_through(url: str, port: int) -> str:
    """``url`` with its host and port replaced by the relay's, and no TLS or GSS encryption
    (the relay reads the messages)."""
    parts = urlsplit(url)
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    query = "&".join(q for q in (parts.query, "sslmode=disable&gssencmode=disable") if q)
    return urlunsplit(parts._replace(netloc=f"{auth}127.0.0.1:{port}", query=query))

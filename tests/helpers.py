"""What the tests share, each helper once: importing files into a real data directory, writing
fictional header files, running the ``gongkai`` CLI (in-process or as a real process), reading the
archive from another connection, making PDFs, and reading HTML pages as parsed trees.

Fixtures live in conftest.py; this module holds plain functions so that a test file reads as a
spec (``html(response)``, ``texts(tree, "li.hit .hit-title")``) instead of re-deriving helpers.
Test files import it as ``from helpers import ...`` (pytest puts tests/ on ``sys.path``).

The fictional documents are written for these tests: the agencies (青测市, 青川市) and every
文号 are invented."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from selectolax.lexbor import LexborHTMLParser, LexborNode
from werkzeug.test import TestResponse

from archive import Archive, Document
from archive.errors import GongkaiError
from cli import main
from indexer.service import Gongkai

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = FIXTURES / "corpus"
WEB = FIXTURES / "web"

# -- data directories ------------------------------------------------------------------------


@dataclass
class Corpus:
    """A data directory holding an imported corpus; ``ids`` maps file name → id."""

    data: Path
    ids: dict[str, str]

    def source(self, doc_id: str) -> str:
        return {v: k for k, v in self.ids.items()}[doc_id]


def import_docs(data: Path, *paths: Path) -> dict[str, str]:
    """Import ``paths`` (files or folders) into ``data`` in one run with the library; every
    file must be imported. Returns file name → id."""
    with Gongkai(data) as gk:
        report = gk.import_paths(list(paths))
    failed = [o for o in report.outcomes if o.status != "imported"]
    assert not failed, failed
    return {Path(o.path).name: o.id for o in report.outcomes}


def load_doc(data: Path, doc_id: str) -> Document:
    """The archived document ``doc_id``, which must exist."""
    with Gongkai(data, readonly=True) as gk:
        doc = gk.archive.get(doc_id)
    assert doc is not None, doc_id
    return doc


def archived_ids(data: Path, *, immutable: bool = False) -> set[str]:
    """The document ids another connection sees committed; empty while there is no archive
    yet (or its schema is still being created). ``immutable`` reads without creating even
    the WAL side files, for tests that compare the data directory byte for byte."""
    if (data / "archive.url").exists():  # a PostgreSQL archive: ask it
        try:
            with Archive.open(data, readonly=True) as archive:
                return set(archive.revisions())
        except (sqlite3.Error, GongkaiError):
            return set()
    db = data / "archive.sqlite3"
    if not db.exists():
        return set()
    mode = "immutable=1" if immutable else "mode=ro"
    try:
        conn = sqlite3.connect(f"file:{db}?{mode}", uri=True, timeout=1)
        try:
            return {row[0] for row in conn.execute("SELECT id FROM documents")}
        finally:
            conn.close()
    except sqlite3.Error:
        return set()


def history_rows(data: Path) -> list[tuple]:
    """Every row of the append-only history table, in order."""
    with Gongkai(data, readonly=True) as gk:
        return [tuple(r) for r in gk.archive.conn.execute("SELECT * FROM history ORDER BY seq")]


# -- fictional files -------------------------------------------------------------------------


def header_text(
    *,
    title: str,
    body: str,
    number: str = "",
    issued: str = "",
    effective: str = "",
    validity: str = "",
    agency: str = "青测市测试局",
) -> str:
    """A document with the 政府信息公开 header block, as sites publish them."""
    lines = [f"名  称: {title}"]
    if agency:
        lines.append(f"发布机构: {agency}")
    if number:
        lines.append(f"文  号: {number}")
    if issued:
        lines.append(f"发文日期: {issued}")
    if effective:
        lines.append(f"施行日期: {effective}")
    if validity:
        lines.append(f"有效性: {validity}")
    return "\n".join(lines) + "\n\n" + body.strip() + "\n"


def write_doc(folder: Path, name: str, **header: str) -> Path:
    """``folder/name`` holding :func:`header_text` of ``header``; the folder is created."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(header_text(**header), encoding="utf-8")
    return path


def numbered_notice(i: int, topics: Sequence[str], *, series: str, clauses: int) -> str:
    """Notice number ``i`` of a generated series: its topic taken in turn from ``topics``, its
    文号 ``{series}{i + 1}号``, ``clauses`` lines of body (more lines, slower imports); every
    title has 管理 and every clause 落实情况, for searches that must find them all."""
    topic = topics[i % len(topics)]
    body = "\n".join(
        f"第{n}条 各单位应当于第{n}周前报送{topic}第{i}批次的落实情况，逾期未报的予以通报。"
        for n in range(1, clauses + 1)
    )
    title = f"关于加强{topic}管理的通知（第{i}号）"
    return header_text(
        title=title, number=f"{series}{i + 1}号", validity="有效", agency="", body=body
    )


def write_notices(
    folder: Path, count: int, topics: Sequence[str], *, series: str, clauses: int
) -> None:
    """:func:`numbered_notice` 0 … ``count - 1`` as ``folder/n0000.txt`` and on."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        text = numbered_notice(i, topics, series=series, clauses=clauses)
        (folder / f"n{i:04d}.txt").write_text(text, encoding="utf-8")


def cjk_pdf(lines: list[str], *, pages: int = 1) -> bytes:
    """A born-digital PDF in the STSong-Light CID font (not embedded), as reportlab writes it."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    for _ in range(pages):
        c.setFont("STSong-Light", 12)
        y = 780
        for line in lines:
            c.drawString(60, y, line)
            y -= 24
        c.showPage()
    c.save()
    return buffer.getvalue()


# -- the command line ------------------------------------------------------------------------


def run_cli(data: Path, *args: str) -> Result:
    """Run ``gongkai --data <data> <args>`` in-process; stdout and stderr kept apart."""
    return CliRunner().invoke(main, ["--data", str(data), *args], catch_exceptions=False)


def cli_json(data: Path, *args: str, exit_code: int = 0) -> Any:
    """The parsed stdout of ``gongkai <args>`` (give ``--json`` or ``--nl`` yourself); fails
    the test unless the command exits with ``exit_code``."""
    result = run_cli(data, *args)
    assert result.exit_code == exit_code, (result.exit_code, result.stderr)
    return json.loads(result.stdout)


def search_json(data: Path, *args: str) -> dict:
    """``gongkai search --json`` parsed; fails the test on a non-zero exit code."""
    found = cli_json(data, "search", "--json", *args)
    assert isinstance(found, dict)
    return found


def gongkai_executable() -> Path:
    """The installed console script of the venv that runs the tests."""
    candidate = Path(sys.executable).parent / "gongkai"
    if candidate.exists():
        return candidate
    found = shutil.which("gongkai")
    if not found:
        pytest.fail("the gongkai console script is not installed (pip install -e .)")
    return Path(found)


def run_installed(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``gongkai`` console script as a real process, data directory given by
    ``GONGKAI_DATA`` (and no debug tracebacks)."""
    env = {**os.environ, "GONGKAI_DATA": str(data)}
    env.pop("GONGKAI_DEBUG", None)
    return subprocess.run(
        [str(gongkai_executable()), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


#: ``python -m cli``: the command line as a process of its own, from the source tree.
CLI_MODULE = [sys.executable, "-m", "cli"]


def run_process(data: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``gongkai --data <data> <args>`` as a process of its own (``python -m cli``)."""
    return subprocess.run(
        [*CLI_MODULE, "--data", str(data), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


# -- web pages -------------------------------------------------------------------------------


def html(page: TestResponse | str) -> LexborHTMLParser:
    """A response's body (or an HTML string) parsed."""
    text = page if isinstance(page, str) else page.get_data(as_text=True)
    return LexborHTMLParser(text)


def visible(page: TestResponse | str) -> str:
    """The text a page shows: markup gone, entities decoded, ``<mark>`` no longer splitting
    words. For plain-text checks of what a reader sees."""
    body = html(page).body
    assert body is not None
    return body.text(deep=True)


def one(tree: LexborHTMLParser | LexborNode, css: str) -> LexborNode:
    """The single element matching ``css``; fails the test if there is none or several."""
    found = tree.css(css)
    assert len(found) == 1, f"{len(found)} elements match {css!r}"
    return found[0]


def texts(tree: LexborHTMLParser | LexborNode, css: str) -> list[str]:
    """The visible text of every element matching ``css`` (marks and all), stripped."""
    return [node.text(deep=True).strip() for node in tree.css(css)]


def attrs(tree: LexborHTMLParser | LexborNode, css: str, name: str) -> list[str]:
    """Attribute ``name`` of every element matching ``css`` that has it."""
    return [v for node in tree.css(css) if (v := node.attributes.get(name)) is not None]


def tags(fragment: str) -> set[str]:
    """The element names in an HTML fragment (the markup a highlighter wrote, say)."""
    body = LexborHTMLParser(fragment).body
    assert body is not None
    return {node.tag for node in body.traverse()} - {"body"}


def fragment_text(fragment: str) -> str:
    """The text an HTML fragment shows, entities decoded and markup gone."""
    body = LexborHTMLParser(fragment).body
    assert body is not None
    return body.text(deep=True)


def csrf_token(page: TestResponse | str) -> str:
    """The value of the (first) CSRF field of a page's forms."""
    values = attrs(html(page), 'input[name="csrf_token"]', "value")
    assert values and values[0], "no CSRF field on the page"
    return values[0]


PASSWORD = "correct horse 1"


def login(client: FlaskClient, name: str = "alice", password: str = PASSWORD) -> TestResponse:
    """Sign in through the login form, CSRF token and all."""
    token = csrf_token(client.get("/login"))
    return client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token, "next": ""}
    )


class TermDictionary:
    """An engine's term dictionary and nothing else: what :meth:`Vocabulary.build` reads
    (``term_counts`` per field), for building a vocabulary without an index."""

    name = "terms"

    def __init__(self, title: dict[str, int], body: dict[str, int]) -> None:
        self.terms = {"title": title, "body": body}

    def term_counts(self, field: str, min_count: int = 1) -> dict[str, int]:
        return {t: n for t, n in self.terms[field].items() if n >= min_count}


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_serve(
    data: Path, port: int, *, workers: int | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``gongkai serve`` over ``data`` on loopback ``port``, in a session of its own (so
    :func:`stop_serve` reaches its workers), polled until the home page answers; the test fails
    with the server's log (``data/serve-<port>.log``) when it exits or takes over 60 s."""
    log_path = data / f"serve-{port}.log"
    args = [str(gongkai_executable()), "--data", str(data), "serve", "--port", str(port)]
    if workers is not None:
        args += ["--workers", str(workers)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                if response.status == 200:
                    return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_serve(proc, signal.SIGKILL)
            pytest.fail(f"gongkai serve did not come up: {log_path.read_text(errors='replace')}")
        time.sleep(0.2)


def stop_serve(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Send ``sig`` to the server and its workers and wait; SIGKILL after 30 s."""
    try:
        os.killpg(proc.pid, sig)
        proc.wait(30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)


@contextmanager
def serving(data: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """``gongkai serve`` over ``data`` on a free loopback port for the ``with`` block; yields
    its base URL."""
    port = free_port()
    proc = start_serve(data, port, env=env)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_serve(proc)


# -- browsers ---------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
#: The two widths every public-site page is checked at (the ``width`` fixture in conftest.py).
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def browser_unavailable(reason: str) -> None:
    """Skip the test, or fail it when CI requires browser tests (GONGKAI_REQUIRE_BROWSER=1)."""
    if os.environ.get("GONGKAI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (GONGKAI_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


def launched_chromium() -> Iterator[object]:
    """Headless Debian Chromium through playwright, closed afterwards; skipped (or failed,
    when CI requires browser tests) if either is missing. Shared by every browser module."""
    if not CHROMIUM.exists():
        browser_unavailable(
            f"{CHROMIUM} is not installed (apt-get install chromium fonts-wqy-microhei)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("playwright is not installed (pip install -e '.[test]')")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


def served_fixtures(
    tmp_path_factory: pytest.TempPathFactory, name: str, *folders: Path
) -> Iterator[dict]:
    """``gongkai serve`` over ``folders`` imported into a fresh data directory, with its own
    XDG directories; yields ``{"base": url, "ids": {file name: id}}`` and stops it afterwards.
    The body of a module's ``site`` fixture."""
    home = tmp_path_factory.mktemp(f"xdg-{name}")
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    data = tmp_path_factory.mktemp(f"{name}-web")
    ids = import_docs(data, *folders)
    with serving(data, env) as base:
        yield {"base": base, "ids": ids}


def shot(page, name: str, width: str) -> None:  # type: ignore[no-untyped-def]
    """A full-page screenshot, tests/artifacts/public-<name>-<width>.png."""
    page.screenshot(path=str(ARTIFACTS / f"public-{name}-{width}.png"), full_page=True)


def box(page, selector: str) -> dict:  # type: ignore[no-untyped-def]
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not laid out"
    return found


def no_horizontal_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def axe_violations(page) -> list[dict]:  # type: ignore[no-untyped-def]
    """The serious and critical axe-core violations on ``page`` (skipped when axe-core is
    missing, unless CI requires browser tests)."""
    if not AXE.exists():
        browser_unavailable(f"{AXE} is missing (npm ci --prefix tests)")
    # Evaluated through the browser's debugging protocol: the site's Content-Security-Policy
    # (no inline script) rightly refuses an injected <script>, and stays on for the check.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await window.axe.run(document)")
    assert result["passes"], "axe-core ran no rule"
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]

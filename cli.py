"""``gongkai``: the command line. Thin commands over the library; every reporting command
takes ``--json``. Exit codes (also in README):

0 success · 1 some items failed (import) or a check found problems (verify) · 2 usage error or
unreadable query · 3 a checked document is not valid · 4 not found · 5 data directory busy
(another writer) · 6 any other error (one line on stderr, never a traceback).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn

import click

from archive.vocab import KIND_LABELS, KINDS, VALIDITY
from indexer.engines.base import SORTS, Filters
from indexer.query import QuerySyntaxError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_VALID, EXIT_NOT_FOUND, EXIT_BUSY, EXIT_ERROR = range(7)


class CliError(click.ClickException):
    """An error reported as one line on stderr with a meaningful exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = code

    def show(self, file: Any = None) -> None:
        click.echo(f"gongkai: error: {self.format_message()}", err=True)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    raise CliError(message, code)


def emit_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def open_data(ctx: click.Context, *, readonly: bool = False):
    from indexer.service import Gongkai, NotFoundError

    data_dir = ctx.obj["data"]
    try:
        return Gongkai(data_dir, readonly=readonly)
    except NotFoundError as exc:
        fail(str(exc), EXIT_NOT_FOUND)


def handles_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library exceptions into one-line errors with the documented exit codes."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from indexer.service import BusyError

        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except QuerySyntaxError as exc:
            fail(f"bad query: {exc}", EXIT_USAGE)
        except BusyError as exc:
            fail(str(exc), EXIT_BUSY)
        except Exception as exc:
            if os.environ.get("GONGKAI_DEBUG"):
                raise
            fail(f"{type(exc).__name__}: {exc}", EXIT_ERROR)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="GONGKAI_DATA",
    default=Path("gongkai-data"),
    show_default=True,
    help="Data directory (archive, originals, index). Env: GONGKAI_DATA.",
)
@click.version_option(package_name="gongkai")
@click.pass_context
def main(ctx: click.Context, data: Path) -> None:
    """Gongkai (公开): archive and search Chinese government documents."""
    ctx.ensure_object(dict)
    ctx.obj["data"] = data


# -- import -------------------------------------------------------------------------------


@main.command("import")
@click.argument("paths", nargs=-1, required=False, type=click.Path(path_type=Path))
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="JSONL or CSV file: one document per row (path or body, and metadata).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Extraction processes (default: number of cores).",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one JSON line per file (path, status, id, title, reason).",
)
@click.option("--max-size", type=int, default=None, help="Largest file to accept, in MB.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
@handles_errors
def import_command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    manifest: Path | None,
    workers: int | None,
    report: Path | None,
    max_size: int | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Import files or folders (recursively): .txt .md .html .pdf .docx (.doc .wps with
    LibreOffice), or the rows of a --manifest.

    Each file is committed whole or not at all; one bad file never stops the rest; running
    the same command again after an interruption finishes the job without duplicates. Exit 1
    if any file failed.
    """
    from tqdm import tqdm

    from indexer.manifest import ManifestError, count_rows, manifest_format
    from indexer.pipeline import iter_files

    if bool(paths) == bool(manifest):
        fail("give files or folders to import, or --manifest FILE (not both)", EXIT_USAGE)
    workers = workers or os.cpu_count() or 1
    if manifest:
        try:
            manifest_format(manifest)
        except ManifestError as exc:
            fail(str(exc), EXIT_USAGE)
        files: list = []
        total = count_rows(manifest)
    else:
        files = list(iter_files(paths))
        total = len(files)
    bar = tqdm(total=total, unit="file", disable=quiet or None, file=sys.stderr, dynamic_ncols=True)
    counts = {"imported": 0, "duplicate": 0, "failed": 0, "skipped": 0}
    report_handle = report.open("w", encoding="utf-8") if report else None

    def progress(outcome) -> None:
        counts[outcome.status] += 1
        bar.set_postfix(
            imported=counts["imported"],
            duplicate=counts["duplicate"],
            failed=counts["failed"],
            refresh=False,
        )
        bar.update(1)
        if report_handle:
            report_handle.write(json.dumps(outcome.to_dict(), ensure_ascii=False) + "\n")

    with open_data(ctx) as gk:
        max_bytes = max_size * 1024 * 1024 if max_size else None
        try:
            if manifest:
                result = gk.import_manifest(
                    manifest, on_progress=progress, max_bytes=max_bytes, workers=workers
                )
            else:
                result = gk.import_files(
                    files, on_progress=progress, max_bytes=max_bytes, workers=workers
                )
        except ManifestError as exc:
            fail(str(exc), EXIT_USAGE)
        finally:
            bar.close()
            if report_handle:
                report_handle.close()
    summary = result.counts()
    failures = [o.to_dict() for o in result.failed]
    if as_json:
        emit_json({**summary, "failures": failures})
    else:
        click.echo(
            f"imported {summary['imported']}, duplicate {summary['duplicate']}, "
            f"failed {summary['failed']}, skipped {summary['skipped']}"
        )
        for failure in failures:
            click.echo(f"  FAILED {failure['path']}: {failure['reason']}", err=True)
    if failures:
        ctx.exit(EXIT_FAILED)


# -- search -------------------------------------------------------------------------------


def _filters(
    agency: tuple[str, ...],
    kind: tuple[str, ...],
    year: tuple[int, ...],
    validity: tuple[str, ...],
    category: tuple[str, ...],
    valid_only: bool,
    date_from: str,
    date_to: str,
) -> Filters:
    from archive.vocab import IN_FORCE

    validities = list(validity)
    if valid_only:
        validities = (
            sorted(IN_FORCE) if not validities else [v for v in validities if v in IN_FORCE]
        )
    return Filters(
        agency=list(agency),
        kind=list(kind),
        year=list(year),
        validity=validities,
        category=list(category),
        date_from=date_from,
        date_to=date_to,
    )


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--offset", default=0, type=click.IntRange(0))
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--valid-only", is_flag=True, help="Only documents in force (有效, 部分失效).")
@click.option("--agency", multiple=True, help="发布机构 (repeatable: any of them).")
@click.option("--kind", multiple=True, type=click.Choice(KINDS))
@click.option("--year", multiple=True, type=int, help="Year issued (repeatable).")
@click.option("--validity", multiple=True, type=click.Choice(VALIDITY))
@click.option("--category", multiple=True, help="主题分类 (repeatable).")
@click.option("--from", "date_from", default="", help="Issued on or after YYYY-MM-DD.")
@click.option("--to", "date_to", default="", help="Issued on or before YYYY-MM-DD.")
@click.option("--facets", is_flag=True, help="Include facet counts.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def search(
    ctx: click.Context,
    query: tuple[str, ...],
    limit: int,
    offset: int,
    sort: str,
    valid_only: bool,
    agency: tuple[str, ...],
    kind: tuple[str, ...],
    year: tuple[int, ...],
    validity: tuple[str, ...],
    category: tuple[str, ...],
    date_from: str,
    date_to: str,
    facets: bool,
    as_json: bool,
) -> None:
    """Search. Words are ANDed; "a phrase"; -exclude; a OR b; title:word; a 文号 or 索引号."""
    filters = _filters(agency, kind, year, validity, category, valid_only, date_from, date_to)
    with open_data(ctx, readonly=True) as gk:
        result = gk.search(
            " ".join(query),
            filters=filters,
            sort=sort,
            limit=limit,
            offset=offset,
            facets=facets,
        )
    if as_json:
        emit_json(result.to_dict())
        return
    click.echo(f"{result.total} 条结果 / results")
    bold = sys.stdout.isatty()
    for rank, hit in enumerate(result.hits, start=offset + 1):
        meta = " · ".join(
            x for x in (hit.doc_number, hit.agency, hit.date_issued, hit.validity) if x
        )
        click.echo(
            f"\n{rank}. {click.style(hit.title, bold=True) if bold else hit.title}  [{hit.id}]"
        )
        click.echo(f"   {meta}  ({KIND_LABELS.get(hit.kind, hit.kind)})")
        snippet = _marked(hit.snippet, hit.highlights, bold)
        click.echo(f"   {snippet}")
    if facets:
        for name, counts in result.facets.items():
            shown = ", ".join(
                f"{k} ({v})" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
            )
            click.echo(f"\n{name}: {shown}")


def _marked(text: str, spans: list[list[int]], bold: bool) -> str:
    out, last = [], 0
    for start, end in spans:
        word = text[start:end]
        out += [text[last:start], click.style(word, fg="red", bold=True) if bold else f"[{word}]"]
        last = end
    out.append(text[last:])
    return "".join(out)


# -- show / stats / reindex / verify ------------------------------------------------------


@main.command()
@click.argument("ref")
@click.option("--text/--no-text", default=True, help="Include the document text.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def show(ctx: click.Context, ref: str, text: bool, as_json: bool) -> None:
    """Show a document by id, 文号 (any bracket style), 索引号 or exact title."""
    with open_data(ctx, readonly=True) as gk:
        docs = gk.lookup(ref)
    if not docs:
        fail(f"no document matches {ref!r}", EXIT_NOT_FOUND)
    if as_json:
        emit_json(
            [d.to_dict(text=text) for d in docs] if len(docs) > 1 else docs[0].to_dict(text=text)
        )
        return
    for doc in docs:
        click.echo(f"名称: {doc.title}")
        for label, value in (
            ("编号", doc.id),
            ("索引号", doc.index_number),
            ("发布机构", doc.agency),
            ("文号", doc.doc_number),
            ("主题分类", doc.category),
            ("成文日期", doc.date_written),
            ("发文日期", doc.date_issued),
            ("有效性", doc.validity),
            ("类型", KIND_LABELS.get(doc.kind, doc.kind)),
            ("来源文件", doc.source_name),
        ):
            if value:
                click.echo(f"{label}: {value}")
        if text:
            click.echo("\n" + doc.text)
        if len(docs) > 1:
            click.echo("\n" + "-" * 40)


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def stats(ctx: click.Context, as_json: bool) -> None:
    """Counts by validity, kind, agency and year."""
    with open_data(ctx, readonly=True) as gk:
        data = {**gk.archive.stats(), "engine": gk.engine_name}
    if as_json:
        emit_json(data)
        return
    click.echo(f"documents: {data['documents']}  (engine: {data['engine']})")
    for key in ("by_validity", "by_kind", "by_agency", "by_year"):
        shown = ", ".join(f"{k or '-'} {v}" for k, v in data[key].items())  # type: ignore[union-attr]
        click.echo(f"{key[3:]}: {shown}")


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def reindex(ctx: click.Context, as_json: bool) -> None:
    """Rebuild the search index from the archive."""
    with open_data(ctx) as gk:
        count = gk.reindex()
    if as_json:
        emit_json({"indexed": count})
    else:
        click.echo(f"indexed {count} documents")


@main.command()
@click.option("--repair", is_flag=True, help="Re-index what is missing or stale.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def verify(ctx: click.Context, repair: bool, as_json: bool) -> None:
    """Check that the index agrees with the archive and every original file is present."""
    with open_data(ctx) as gk:
        report = gk.verify()
        if repair and not report["ok"]:
            with gk.write_lock():
                report["repaired"] = gk.sync_index()
            report = {**gk.verify(), "repaired": report["repaired"]}
    if as_json:
        emit_json(report)
    else:
        click.echo("ok" if report["ok"] else "problems found")
        for key, value in report.items():
            if isinstance(value, list) and value:
                more = " …" if len(value) > 5 else ""
                click.echo(f"  {key}: {len(value)} ({', '.join(value[:5])}{more})")
    if not report["ok"]:
        ctx.exit(EXIT_FAILED)


# -- web site and staff accounts ----------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@click.pass_context
@handles_errors
def serve(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Run the web site and JSON API with a production WSGI server (waitress).

    Public pages read the data directory read-only; staff changes take the write lock.
    """
    from waitress import serve as waitress_serve

    from indexer.service import NotFoundError
    from search_app import create_app

    try:
        app = create_app({"DATA_DIR": ctx.obj["data"]})
    except NotFoundError as exc:
        fail(str(exc), EXIT_NOT_FOUND)
    click.echo(f"Gongkai serving {ctx.obj['data']} on http://{host}:{port}/", err=True)
    waitress_serve(app, host=host, port=port, threads=threads, ident="gongkai")


@main.group()
def user() -> None:
    """Staff accounts for the web tools."""


@user.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin (one line).")
@click.pass_context
@handles_errors
def user_add(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Create a staff account NAME (prompts for the password unless --password-stdin)."""
    from search_app.auth import UserError, add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_data(ctx) as gk:
        try:
            add_user(gk.archive.conn, name, password)
        except UserError as exc:
            fail(str(exc), EXIT_USAGE)
    click.echo(f"added user {name.strip()}")


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def user_list(ctx: click.Context, as_json: bool) -> None:
    """List staff accounts."""
    from search_app.auth import list_users

    with open_data(ctx) as gk:
        users = list_users(gk.archive.conn)
    if as_json:
        emit_json(users)
        return
    for account in users:
        click.echo(f"{account['name']}  {account['created_at']}")


if __name__ == "__main__":  # pragma: no cover
    main()

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

from archive.errors import (
    EXIT_ERROR,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_NOT_VALID,
    EXIT_USAGE,
    GongkaiError,
    NotFoundError,
)
from archive.relations import RELATION_TYPES
from archive.vocab import KIND_LABELS, KINDS, VALIDITY
from indexer.engines.base import SORTS, Filters
from indexer.query import QuerySyntaxError
from indexer.searching import suggestion_lines

ENGINE_NAMES = ("whoosh", "tantivy")  # indexer.service.ENGINES, without importing the engines


class CliError(click.ClickException):
    """An error reported as one line on stderr with a meaningful exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = code

    def show(self, file: Any = None) -> None:
        click.echo(f"gongkai: error: {self.format_message()}", err=True)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    raise CliError(message, code)


def _worker_count(asked: int | None) -> int:
    """``--workers`` as given, else the number of cores."""
    return asked or os.cpu_count() or 1


def emit_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def open_data(ctx: click.Context, *, readonly: bool = False):
    from indexer.service import Gongkai

    data_dir = ctx.obj["data"]
    try:
        return Gongkai(data_dir, readonly=readonly)
    except NotFoundError as exc:
        fail(str(exc), EXIT_NOT_FOUND)


def handles_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library exceptions into one-line errors with the documented exit codes."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            fail(
                "interrupted; what was committed is kept (an import resumes when run again)",
                EXIT_INTERRUPTED,
            )
        except QuerySyntaxError as exc:
            fail(f"bad query: {exc}", EXIT_USAGE)
        except GongkaiError as exc:
            fail(str(exc), exc.exit_code)
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
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read, extract and check everything; report what would happen; write nothing.",
)
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
    dry_run: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Import files or folders (recursively): .txt .md .html .pdf .docx (.doc .wps with
    LibreOffice), or the rows of a --manifest.

    Each file is committed whole or not at all; one bad file never stops the rest; running
    the same command again after an interruption finishes the job without duplicates. Exit 1
    if any file failed. With --dry-run nothing is written (not even the data directory): the
    summary says what would be imported, what is a duplicate and what would fail.
    """
    from tqdm import tqdm

    from indexer.manifest import ManifestError, count_rows, manifest_format
    from indexer.pipeline import iter_files

    if bool(paths) == bool(manifest):
        fail("give files or folders to import, or --manifest FILE (not both)", EXIT_USAGE)
    workers = _worker_count(workers)
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

    max_bytes = max_size * 1024 * 1024 if max_size else None
    if dry_run:
        from indexer.manifest import manifest_items
        from indexer.pipeline import dry_run as check_import
        from indexer.pipeline import file_items

        try:
            items = manifest_items(manifest) if manifest else file_items(files)
            result = check_import(
                ctx.obj["data"], items, on_progress=progress, max_bytes=max_bytes, workers=workers
            )
        except ManifestError as exc:
            fail(str(exc), EXIT_USAGE)
        finally:
            bar.close()
            if report_handle:
                report_handle.close()
    else:
        result = _import(ctx, manifest, files, progress, max_bytes, workers, bar, report_handle)
    summary = result.counts()
    failures = [o.to_dict() for o in result.failed]
    if as_json:
        emit_json(
            {
                **summary,
                "dry_run": dry_run,
                "attachments": len(result.attachments),
                "failures": failures,
            }
        )
    else:
        click.echo(
            ("dry run (nothing written): would import " if dry_run else "imported ")
            + f"{summary['imported']}, duplicate {summary['duplicate']}, "
            f"{'would fail' if dry_run else 'failed'} {summary['failed']}, "
            f"skipped {summary['skipped']}"
            + (f", attachments linked {len(result.attachments)}" if result.attachments else "")
        )
        for failure in failures:
            click.echo(f"  FAILED {failure['path']}: {failure['reason']}", err=True)
    if failures:
        ctx.exit(EXIT_FAILED)


def _import(
    ctx: click.Context,
    manifest: Path | None,
    files: list[tuple[Path, str]],
    progress: Callable[[Any], None],
    max_bytes: int | None,
    workers: int,
    bar: Any,
    report_handle: Any,
) -> Any:
    """The real import of ``import_command``: files or a manifest, under the write lock."""
    from indexer.manifest import ManifestError

    with open_data(ctx) as gk:
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
    return result


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
@click.option(
    "--as-of",
    "as_of",
    default="",
    help="Judge validity on this date (YYYY-MM-DD): only documents in force then, unless "
    "--validity says which; hits show their status on that date.",
)
@click.option(
    "--exact",
    is_flag=True,
    help="Search the query as typed: no pinyin reading, no typo correction.",
)
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
    as_of: str,
    exact: bool,
    as_json: bool,
) -> None:
    """Search. Words are ANDed; "a phrase"; -exclude; a OR b; title:word; a 文号 or 索引号.

    Pinyin (wygl, guanli banfa) finds the words it spells; a likely typo gets a suggestion,
    and its results when the query as typed finds nothing (--exact: neither)."""
    filters = _filters(agency, kind, year, validity, category, valid_only, date_from, date_to)
    on_date = _date_option(as_of, "--as-of")
    if on_date and not filters.validity:
        from archive.vocab import IN_FORCE

        filters.validity = sorted(IN_FORCE)
    with open_data(ctx, readonly=True) as gk:
        result = gk.search(
            " ".join(query),
            filters=filters,
            sort=sort,
            limit=limit,
            offset=offset,
            facets=facets,
            as_of=on_date,
            exact=exact,
        )
    if as_json:
        emit_json(result.to_dict())
        return
    for line in suggestion_lines(result):
        click.echo(line)
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
        linked = _cluster_line(hit.cluster)
        if linked:
            click.echo(f"   {linked}")
    if facets:
        for name, counts in result.facets.items():
            shown = ", ".join(
                f"{k} ({v})" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
            )
            click.echo(f"\n{name}: {shown}")


def _marked(text: str, spans: list[list[int]], bold: bool) -> str:
    """The snippet with its matches in bold red on a terminal, in [brackets] otherwise."""
    from indexer.highlight import pieces

    before, after = click.style("\0", fg="red", bold=True).split("\0") if bold else ("[", "]")
    return "".join(
        f"{before}{piece}{after}" if hit else piece for piece, hit in pieces(text, spans)
    )


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
        derived = {d.id: gk.status(d) for d in docs}
        clusters = {d.id: gk.cluster(d).summary() for d in docs}
    if not docs:
        fail(f"no document matches {ref!r}", EXIT_NOT_FOUND)
    if as_json:
        shown = [
            {**d.to_dict(text=text), "status": derived[d.id].to_dict(), "cluster": clusters[d.id]}
            for d in docs
        ]
        emit_json(shown if len(docs) > 1 else shown[0])
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
        _echo_status(derived[doc.id])
        for name, items in clusters[doc.id].items():
            if name == "versions" and len(items) < 2:
                continue
            click.echo(f"{CLUSTER_LABELS.get(name, name)}:")
            for item in items:
                click.echo(f"  - {item['title']} {item['doc_number']} [{item['id']}]")
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
@click.option(
    "--engine",
    type=click.Choice(ENGINE_NAMES),
    default=None,
    help="Convert to this engine: build its index, then switch the data directory to it.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Segmenting processes (default: number of cores); the index is written by one more.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def reindex(ctx: click.Context, engine: str | None, workers: int | None, as_json: bool) -> None:
    """Rebuild the search index from the archive."""
    with open_data(ctx) as gk:
        count = gk.reindex(engine=engine, workers=_worker_count(workers))
        name = gk.engine_name
    if as_json:
        emit_json({"indexed": count, **({"engine": name} if engine else {})})
    else:
        click.echo(f"indexed {count} documents (engine: {name})")


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
            add_user(gk.archive, name, password)
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
        users = list_users(gk.archive)
    if as_json:
        emit_json(users)
        return
    for account in users:
        click.echo(f"{account['name']}  {account['created_at']}")


# -- validity and relations: check, status, link, unlink, relations, proposals, history ----

CLUSTER_LABELS = {
    "interpretations": "政策解读",
    "answers": "依申请公开答复",
    "versions": "版本",
    "repealed_by": "被废止于",
    "repeals": "废止了",
    "amended_by": "被修改于",
    "amends": "修改了",
    "interprets": "解读的文件",
    "answers_about": "答复涉及的文件",
    "cites": "引用",
    "cited_by": "被引用于",
    "attachments": "附件",
    "attachment_of": "所属文件（本文件是其附件）",
}
CHECK_CSV_COLUMNS = (
    "query",
    "found",
    "valid",
    "matched_by",
    "confidence",
    "id",
    "title",
    "doc_number",
    "as_of",
    "validity",
    "since",
    "by",
    "current_version",
    "published",
    "source",
    "note",
)


def _date_option(value: str, name: str) -> str | None:
    """A date option as YYYY-MM-DD (2020-07-01, 2020年7月1日 …), None if empty; exit 2 if bad."""
    from datetime import date

    from indexer.header import parse_date

    if not value or not value.strip():
        return None
    parsed = parse_date(value)
    try:
        if parsed and len(value.strip()) <= 12:
            return date.fromisoformat(parsed).isoformat()
    except ValueError:
        pass
    fail(f"{name}: not a date: {value!r} (use YYYY-MM-DD)", EXIT_USAGE)


def _actor() -> str:
    return os.environ.get("GONGKAI_ACTOR") or os.environ.get("USER") or "staff"


def _cluster_line(cluster: dict[str, object]) -> str:
    parts = []
    for name in ("interpretations", "answers", "repealed_by", "amended_by"):
        items = cluster.get(name) or []
        if items:
            parts.append(f"{CLUSTER_LABELS[name]} {len(items)}")  # type: ignore[arg-type]
    if cluster.get("current_version"):
        parts.append(f"现行版本 [{cluster['current_version']}]")
    return " · ".join(parts)


def _echo_status(status) -> None:
    line = f"状态（{status.as_of}）: {status.validity}"
    if status.since:
        line += f"，自 {status.since}"
    if status.by:
        line += f"，依据 [{status.by}]"
    if status.current_version:
        line += f"，现行版本 [{status.current_version}]"
    click.echo(line + f"  （来源: {status.source}）")
    if status.note:
        click.echo(f"说明: {status.note}")


def _one(gk, ref: str):
    """Exactly one document for ``ref``: exit 4 if none, 2 if several."""
    docs = gk.lookup(ref)
    if not docs:
        fail(f"no document matches {ref!r}", EXIT_NOT_FOUND)
    if len(docs) > 1:
        ids = ", ".join(d.id for d in docs[:5])
        fail(f"{ref!r} matches {len(docs)} documents ({ids}); give the id", EXIT_USAGE)
    return docs[0]


def _relation_rows(gk, rels) -> list[dict[str, object]]:
    docs = gk.archive.get_many(sorted({r.src for r in rels} | {r.dst for r in rels}))
    rows = []
    for rel in rels:
        row = rel.to_dict()
        for end in ("src", "dst"):
            doc = docs.get(rel.src if end == "src" else rel.dst)
            row[f"{end}_title"] = doc.title if doc else ""
        rows.append(row)
    return rows


def _echo_relations(rows: list[dict[str, object]]) -> None:
    for row in rows:
        date = f" 自 {row['effective']}" if row["effective"] else ""
        click.echo(
            f"#{row['id']} [{row['state']}/{row['origin']}] "
            f"{row['src_title']} [{row['src']}] —{row['type']}{date}→ "
            f"{row['dst_title']} [{row['dst']}]"
        )
        detail = " · ".join(str(row[k]) for k in ("note", "evidence") if row[k])
        if detail:
            click.echo(f"    {detail}")


@main.command()
@click.argument("queries", nargs=-1)
@click.option("--as-of", "as_of", default="", help="Validity on this date (default today).")
@click.option(
    "--file",
    "list_file",
    type=click.File("r", encoding="utf-8-sig"),
    help="One query per line ('-' for stdin); blank lines and # comments are skipped.",
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "as_csv", is_flag=True, help="One CSV row per matched document.")
@click.pass_context
@handles_errors
def check(
    ctx: click.Context,
    queries: tuple[str, ...],
    as_of: str,
    list_file: Any,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Is it still valid? QUERY is a 文号 (any bracket style), 索引号, id or title.

    Exit 0 if every query found a document in force, 3 if any is not in force, 4 if any
    matched nothing (4 wins over 3).
    """
    items = [q.strip() for q in queries if q.strip()]
    if list_file is not None:
        items += [
            line.strip() for line in list_file if line.strip() and not line.lstrip().startswith("#")
        ]
    if not items:
        fail("give at least one QUERY or --file LIST", EXIT_USAGE)
    on_date = _date_option(as_of, "--as-of")
    with open_data(ctx, readonly=True) as gk:
        results = gk.check(items, on_date)
    if as_json:
        emit_json([r.to_dict() for r in results])
    elif as_csv:
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=CHECK_CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for result in results:
            data = result.to_dict()
            base = {k: data[k] for k in ("query", "found", "valid", "matched_by", "confidence")}
            for match in data["matches"] or [{"as_of": result.as_of}]:  # type: ignore[union-attr]
                writer.writerow({**base, **match})
    else:
        for result in results:
            mark = "✓" if result.valid else ("?" if not result.found else "✗")
            if not result.found:
                click.echo(f"{mark} {result.query}: 未找到 / not found")
                continue
            how = result.matched_by
            if result.confidence < 1:
                how += f", 置信度 {result.confidence:.2f}"
            click.echo(f"{mark} {result.query}  ({how})")
            for doc, status in result.matches:
                line = f"    {status.validity}"
                if status.since:
                    line += f" 自 {status.since}"
                line += f"  {doc.title}"
                if doc.doc_number:
                    line += f"（{doc.doc_number}）"
                line += f" [{doc.id}]"
                if status.by:
                    line += f"  依据 [{status.by}]"
                if status.current_version:
                    line += f"  现行版本 [{status.current_version}]"
                click.echo(line)
                if status.note:
                    click.echo(f"      {status.note}")
    if any(not r.found for r in results):
        ctx.exit(EXIT_NOT_FOUND)
    if any(not r.valid for r in results):
        ctx.exit(EXIT_NOT_VALID)


@main.command()
@click.argument("ref")
@click.argument("validity", required=False, default="")
@click.option("--date", "date_", default="", help="From this date (YYYY-MM-DD).")
@click.option("--by", "by_ref", default="", help="The document that caused it (id or 文号).")
@click.option("--note", default="", help="Why (kept in history).")
@click.option("--clear", is_flag=True, help="Withdraw earlier staff records (derive again).")
@click.option("--as-of", "as_of", default="", help="Only showing: the status on this date.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def status(
    ctx: click.Context,
    ref: str,
    validity: str,
    date_: str,
    by_ref: str,
    note: str,
    clear: bool,
    as_of: str,
    as_json: bool,
) -> None:
    """Show the status of a document, or record a staff status: VALIDITY is one of
    有效 尚未生效 已修改 部分失效 失效 已废止 未知 (or a synonym such as 废止, 现行有效)."""
    from archive.vocab import canonical_validity

    changing = bool(validity) or clear
    if validity and clear:
        fail("give VALIDITY or --clear, not both", EXIT_USAGE)
    if validity and canonical_validity(validity) is None:
        fail(f"unknown validity {validity!r} (known: {', '.join(VALIDITY)})", EXIT_USAGE)
    when = _date_option(date_, "--date") or ""
    on_date = _date_option(as_of, "--as-of")
    with open_data(ctx, readonly=not changing) as gk:
        doc = _one(gk, ref)
        if changing:
            by = _one(gk, by_ref).id if by_ref else ""
            result = gk.set_status(doc.id, validity, date=when, by=by, note=note, actor=_actor())
            if on_date:
                result = gk.status(gk.archive.get(doc.id), on_date)
        else:
            result = gk.status(doc, on_date)
    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(f"{doc.title} [{doc.id}]")
        _echo_status(result)


@main.command()
@click.argument("src")
@click.argument("rel_type", metavar="TYPE", type=click.Choice(RELATION_TYPES))
@click.argument("dst")
@click.option("--date", "date_", default="", help="Effective date (YYYY-MM-DD).")
@click.option("--note", default="", help="Why (kept in history).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def link(
    ctx: click.Context, src: str, rel_type: str, dst: str, date_: str, note: str, as_json: bool
) -> None:
    """Relate two documents: SRC repeals|amends|supersedes|interprets|answers|cites DST.

    SRC and DST are ids, 文号 or titles naming one document each. A proposed or rejected
    relation of the same kind is confirmed."""
    when = _date_option(date_, "--date") or ""
    with open_data(ctx) as gk:
        rel = gk.link(
            _one(gk, src).id, rel_type, _one(gk, dst).id, date=when, note=note, actor=_actor()
        )
        rows = _relation_rows(gk, [rel])
    if as_json:
        emit_json(rows[0])
    else:
        _echo_relations(rows)


@main.command()
@click.argument("refs", nargs=-1, required=True)
@click.option("--note", default="", help="Why (kept in history).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def unlink(ctx: click.Context, refs: tuple[str, ...], note: str, as_json: bool) -> None:
    """Reject a relation: ``unlink SRC TYPE DST`` or ``unlink RELATION_ID``.

    The relation is kept as rejected (never deleted) and the linker will not make it again."""
    with open_data(ctx) as gk:
        if len(refs) == 1 and refs[0].lstrip("#").isdigit():
            rel = gk.set_relation_state(
                int(refs[0].lstrip("#")), "rejected", note=note, actor=_actor()
            )
        elif len(refs) == 3:
            if refs[1] not in RELATION_TYPES:
                fail(f"unknown relation type {refs[1]!r}", EXIT_USAGE)
            rel = gk.unlink(
                _one(gk, refs[0]).id, refs[1], _one(gk, refs[2]).id, note=note, actor=_actor()
            )
        else:
            fail("give SRC TYPE DST or one relation id", EXIT_USAGE)
        rows = _relation_rows(gk, [rel])
    if as_json:
        emit_json(rows[0])
    else:
        _echo_relations(rows)


@main.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def relations(ctx: click.Context, ref: str, as_json: bool) -> None:
    """Every relation from or to a document, in any state (proposed, confirmed, rejected)."""
    with open_data(ctx, readonly=True) as gk:
        doc = _one(gk, ref)
        rows = _relation_rows(gk, gk.relations(doc.id))
    if as_json:
        emit_json(rows)
    elif not rows:
        click.echo("no relations")
    else:
        _echo_relations(rows)


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def proposals(ctx: click.Context, as_json: bool) -> None:
    """Automatic relations waiting for staff; ``confirm`` or ``reject`` them by id."""
    if ctx.invoked_subcommand is not None:
        return
    with open_data(ctx, readonly=True) as gk:
        rows = _relation_rows(gk, gk.proposals())
    if as_json:
        emit_json(rows)
    elif not rows:
        click.echo("no proposals")
    else:
        _echo_relations(rows)


def _decide(ctx: click.Context, ids: tuple[int, ...], state: str, note: str, as_json: bool):
    with open_data(ctx) as gk:
        rels = [gk.set_relation_state(i, state, note=note, actor=_actor()) for i in ids]
        rows = _relation_rows(gk, rels)
    if as_json:
        emit_json(rows)
    else:
        _echo_relations(rows)


@proposals.command("confirm")
@click.argument("ids", nargs=-1, required=True, type=int)
@click.option("--note", default="")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def proposals_confirm(ctx: click.Context, ids: tuple[int, ...], note: str, as_json: bool) -> None:
    """Confirm relations by id (they then count for validity)."""
    _decide(ctx, ids, "confirmed", note, as_json)


@proposals.command("reject")
@click.argument("ids", nargs=-1, required=True, type=int)
@click.option("--note", default="")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def proposals_reject(ctx: click.Context, ids: tuple[int, ...], note: str, as_json: bool) -> None:
    """Reject relations by id (kept as rejected; never proposed again)."""
    _decide(ctx, ids, "rejected", note, as_json)


@main.command()
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def history(ctx: click.Context, ref: str, as_json: bool) -> None:
    """The append-only history of a document: import, relations, status records."""
    with open_data(ctx, readonly=True) as gk:
        entries = gk.history(_one(gk, ref).id)
    if as_json:
        emit_json(entries)
        return
    for entry in entries:
        detail = json.dumps(entry["detail"], ensure_ascii=False)
        click.echo(f"{entry['at']}  {entry['actor']:<10} {entry['action']:<9} {detail}")


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def relink(ctx: click.Context, as_json: bool) -> None:
    """Run the automatic linker over the whole archive (keeps every existing relation)."""
    with open_data(ctx) as gk:
        report = gk.relink()
    if as_json:
        emit_json(report)
    else:
        click.echo(", ".join(f"{k} {v}" for k, v in report.items()))


@main.command()
@click.option(
    "--engine",
    type=click.Choice(ENGINE_NAMES),
    default="whoosh",
    show_default=True,
    help="Search engine of this data directory (tantivy for large archives).",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@handles_errors
def init(ctx: click.Context, engine: str, as_json: bool) -> None:
    """Create a data directory using ENGINE (recorded in its gongkai.json).

    A data directory that already holds documents keeps its engine; convert it with
    `gongkai reindex --engine NAME`.
    """
    from indexer.service import EngineChangeError, init_data_dir

    data_dir = ctx.obj["data"]
    try:
        config = init_data_dir(data_dir, engine)
    except EngineChangeError as exc:
        fail(str(exc), EXIT_USAGE)
    if as_json:
        emit_json({"data": str(data_dir), **config})
    else:
        click.echo(f"{data_dir}: engine {config['engine']}")


if __name__ == "__main__":  # pragma: no cover
    main()

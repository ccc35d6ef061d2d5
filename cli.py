"""``gongkai``: the command line. Thin commands over the library; every reporting command
takes ``--json``. Exit codes (also in README):

0 success · 1 some items failed (import) or a check found problems (verify) · 2 usage error or
unreadable query · 3 a checked document is not valid · 4 not found · 5 data directory busy
(another writer) · 6 any other error (one line on stderr, never a traceback) · 7 stored data
is damaged · 8 this account cannot read what it needs (``serve`` run by another user).

Each command is its options, one call into the library and its output. What they share is
declared once: :func:`output_options` (``--json``, and ``--csv`` where a command has it),
:func:`handles_errors` (library exceptions → one line on stderr and the documented exit code)
and :func:`with_data` (open the data directory around the command and hand it ``gk``).

Start-up time matters (a person runs ``gongkai check`` dozens of times from scripts), so this
module imports only click and the small ``archive`` vocabulary modules; the segmenter, the
engines, the web app and the progress bar are imported by the commands that use them.
``tests/test_startup.py`` keeps it that way.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from archive.dates import parse_date
from archive.errors import (
    EXIT_ACCESS,
    EXIT_ERROR,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_NOT_VALID,
    EXIT_USAGE,
    GongkaiError,
    InvalidInput,
)
from archive.vocab import (
    DOC_TYPES,
    KINDS,
    RELATION_TYPES,
    VALIDITY,
    canonical_doc_type,
)
from indexer.engines import ENGINES as ENGINE_NAMES  # the registry; no engine is imported
from indexer.engines.base import SORTS

F = TypeVar("F", bound=Callable[..., Any])


class CliError(click.ClickException):
    """An error reported as one line on stderr with a meaningful exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = code  # type: ignore[misc]  # click declares it on the class

    def show(self, file: Any = None) -> None:
        click.echo(f"gongkai: error: {self.format_message()}", err=True)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    raise CliError(message, code)


def _worker_count(asked: int | None) -> int:
    """``--workers`` as given, else the number of cores."""
    return asked or os.cpu_count() or 1


def emit_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def emit(data: Any, as_json: bool, text: Callable[[Any], None] | None = None) -> None:
    """``data`` as JSON with ``--json``, else as ``text`` prints it for a person. A report
    object (``to_dict()``, ``to_text()``) needs no ``text``: it renders itself."""
    if as_json:
        emit_json(data.to_dict() if hasattr(data, "to_dict") else data)
    elif text is None:
        click.echo(data.to_text())
    else:
        text(data)


def echo_lines(lines: Iterable[str]) -> None:
    """Print each of ``lines`` (a report's plain text, as its library renderer gives it)."""
    for line in lines:
        click.echo(line)


def output_options(*, csv: str = "") -> Callable[[F], F]:
    """``--json`` for a command (``as_json``), and ``--csv`` (``as_csv``) when ``csv`` says
    what one row is."""

    def decorate(func: F) -> F:
        if csv:
            func = click.option("--csv", "as_csv", is_flag=True, help=csv)(func)
        return click.option(
            "--json", "as_json", is_flag=True, help="Print the result as JSON (stable keys)."
        )(func)

    return decorate


def open_data(ctx: click.Context, *, readonly: bool = False):
    """The data directory of ``--data``, open (exit 4 if there is none)."""
    from indexer.service import Gongkai

    return Gongkai(ctx.obj["data"], readonly=readonly)


def with_data(*, readonly: bool = False) -> Callable[[F], F]:
    """Open the data directory around the command and pass it as the first argument ``gk``.

    ``readonly`` commands never take the write lock; the others hold it until they return."""

    def decorate(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with open_data(click.get_current_context(), readonly=readonly) as gk:
                return func(gk, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def handles_errors(func: F) -> F:
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
        except GongkaiError as exc:
            # A QuerySyntaxError can only exist once indexer.query is loaded; asking
            # sys.modules keeps the segmenter it imports out of every other command.
            query = sys.modules.get("indexer.query")
            if query is not None and isinstance(exc, query.QuerySyntaxError):
                fail(f"bad query: {exc}", EXIT_USAGE)
            fail(str(exc), exc.exit_code)
        except Exception as exc:
            if os.environ.get("GONGKAI_DEBUG"):
                raise
            fail(f"{type(exc).__name__}: {exc}", EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


def _date_option(value: str, name: str) -> str | None:
    """A date option as YYYY-MM-DD (2020-07-01, 2020年7月1日 …), None if empty; exit 2 if bad."""
    if not value or not value.strip():
        return None
    try:
        return parse_date(value)
    except InvalidInput:
        fail(f"{name}: not a date: {value!r} (use YYYY-MM-DD)", EXIT_USAGE)


def parse_date_option(ctx: click.Context, param: click.Parameter, value: str) -> str | None:
    """Click callback of every date option: parsed before the command runs (see _date_option)."""
    return _date_option(value, param.opts[0])


def date_option(*decls: str, help: str) -> Callable[[F], F]:
    """A date option (see :func:`parse_date_option`), "" when not given."""
    return click.option(*decls, default="", callback=parse_date_option, help=help)


def _doc_type_option(value: str) -> str:
    """A ``--doc-type`` value (code or Chinese name) as its code; exit 2 for anything else."""
    found = canonical_doc_type(value)
    if found is None:
        raise click.BadParameter(f"{value!r} is not a document type ({', '.join(DOC_TYPES)})")
    return found


def doc_type_option(help: str) -> Callable[[F], F]:
    """``--doc-type`` (repeatable), each value as its code (see :func:`_doc_type_option`)."""
    return click.option(
        "--doc-type",
        "doc_type",
        multiple=True,
        callback=lambda ctx, param, values: tuple(_doc_type_option(v) for v in values),
        help=help,
    )


def password_option(func: F) -> F:
    """``--password-stdin``: read the password from stdin (else prompt, see read_password)."""
    return click.option(
        "--password-stdin", is_flag=True, help="Read the password from stdin (one line)."
    )(func)


def read_password(from_stdin: bool, prompt: str) -> str:
    """One line of stdin with ``--password-stdin``, else asked twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


#: Who made a staff change (default: GONGKAI_ACTOR or the account running the command).
by_option = click.option("--by", default="", help="Who (default: GONGKAI_ACTOR or your account).")
#: Why a staff change was made, kept in the history.
note_option = click.option("--note", default="", help="Why (kept in history).")
#: A staff change that only says what it would do.
dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Say what would happen; change nothing."
)


def cluster_options(func: F) -> F:
    """A Typesense cluster's options (init; reindex converting to one): its nodes, the API
    key's file, and how its collection checks quoted phrases; all kept in gongkai.json
    (the key's file by its path, never the key)."""
    for option in reversed(
        [
            click.option(
                "--nodes",
                default=None,
                help="typesense: the cluster's nodes, host:port,host:port,… (kept in "
                "gongkai.json; with reindex, the cluster to convert to).",
            ),
            click.option(
                "--api-key-file",
                default=None,
                type=click.Path(dir_okay=False),
                help="typesense: a file holding the API key (or set GONGKAI_TYPESENSE_API_KEY); "
                "gongkai.json keeps the file's path, never the key.",
            ),
            click.option(
                "--phrases",
                type=click.Choice(["exact", "pairs"]),
                default=None,
                help="typesense: how the collection built checks quoted phrases: exact "
                "(default) or pairs (a smaller, faster index; a phrase of 3+ words may match "
                "its word pairs found apart); kept in gongkai.json. With reindex, it goes "
                "with --nodes.",
            ),
        ]
    ):
        func = option(func)
    return func


def _version() -> str:
    """The installed version, read from the ``Version:`` line of gongkai's dist-info.

    ``importlib.metadata`` (what click's ``version_option`` uses) imports the ``email``
    package to parse that file and costs a quarter of ``gongkai --version``; it remains the
    fallback when no dist-info is on ``sys.path`` (a zipped or unusual install)."""
    for folder in sys.path:
        for metadata in Path(folder or ".").glob("gongkai-*.dist-info/METADATA"):
            with metadata.open(encoding="utf-8") as lines:
                for line in lines:
                    if line.startswith("Version:"):
                        return line.partition(":")[2].strip()
    from importlib.metadata import version

    return version("gongkai")


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"gongkai, version {_version()}")
        ctx.exit()


def _readable_data_dir(path: Path) -> Path:
    """``--data`` as given; exit 8 with one line when it exists but this account may not
    read it (README: Running as two users)."""
    if path.is_dir() and not os.access(path, os.R_OK | os.X_OK):
        from archive.sharing import account

        fail(
            f"this account, {account()}, cannot read the data directory {path}; "
            "share it with `gongkai init --group NAME` and add this account to the group",
            EXIT_ACCESS,
        )
    return path


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data",
    type=click.Path(file_okay=False, readable=False, path_type=Path),
    callback=lambda ctx, param, value: _readable_data_dir(value),
    envvar="GONGKAI_DATA",
    default=Path("gongkai-data"),
    show_default=True,
    help="Data directory (archive, originals, index). Env: GONGKAI_DATA.",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
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
@click.option(
    "--follow-symlinks",
    is_flag=True,
    help="Also import files that symbolic links lead to outside the folders given.",
)
@click.option(
    "--allow-outside",
    is_flag=True,
    help="Let manifest paths lead outside the manifest's folder (absolute, ../).",
)
@click.option(
    "--on-error",
    type=click.Choice(["skip", "stop"]),
    default="skip",
    show_default=True,
    help="A bad manifest row: report it and apply the rest (skip), or apply nothing, exit 2.",
)
@click.option("--by", default="", help="Who updates archived documents (default: your account).")
@click.option("--reason", default="", help="Why: recorded in the history of updated documents.")
@click.option(
    "--keep-copies",
    is_flag=True,
    help="Import copies of archived documents (same or nearly the same text) as new documents.",
)
@output_options()
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
    follow_symlinks: bool,
    allow_outside: bool,
    on_error: str,
    by: str,
    reason: str,
    keep_copies: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Import files or folders (recursively): .txt .md .html .pdf .docx (.doc .wps with
    LibreOffice), and/or the rows of a --manifest. A manifest row matching an archived
    document (its file's bytes, or id, sha256, 文号, 索引号) updates its metadata (recorded
    with --by and --reason); the summary counts it as updated.

    Each file is committed whole or not at all; one bad file never stops the rest; running
    the same command again after an interruption finishes the job without duplicates. Exit 1
    if any file failed. With --dry-run nothing is written (not even the data directory): the
    summary says what would be imported, what is a duplicate and what would fail.
    """
    from indexer.import_run import ImportRequest, run_import, summary_dict, summary_text

    if not paths and not manifest:
        fail("give files or folders to import, or --manifest FILE, or both", EXIT_USAGE)
    request = ImportRequest(
        paths,
        manifest,
        _worker_count(workers),
        report,
        max_size,
        dry_run,
        follow_symlinks,
        allow_outside,
        on_error,
        editor=by or _actor(),
        reason=reason,
        keep_copies=keep_copies,
        who=_actor(),
        quiet=quiet,
    )
    result = run_import(ctx.obj["data"], request)
    if as_json:
        emit_json(summary_dict(result, dry_run=dry_run))
    else:
        out, err = summary_text(result, dry_run=dry_run, manifest=bool(manifest))
        click.echo("\n".join(out))
        for line in err:
            click.echo(line, err=True)
    if result.stopped:
        click.echo(f"gongkai: import stopped: {result.stopped}", err=True)
    if result.failed or result.stopped:
        ctx.exit(EXIT_FAILED)


# -- search -------------------------------------------------------------------------------


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--offset", default=0, type=click.IntRange(0))
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--valid-only", is_flag=True, help="Only documents in force (有效, 部分失效).")
@click.option("--agency", multiple=True, help="发布机构 (repeatable: any of them).")
@click.option("--kind", multiple=True, type=click.Choice(KINDS))
@doc_type_option(
    "Document type, by code or Chinese name: 法律 行政法规 地方性法规 规章 规范性文件 "
    "其他文件 政策解读 依申请公开答复 建议提案答复 (repeatable: any of them)."
)
@click.option("--year", multiple=True, type=int, help="Year issued (repeatable).")
@click.option("--validity", multiple=True, type=click.Choice(VALIDITY))
@click.option("--category", multiple=True, help="主题分类 (repeatable).")
@click.option("--from", "date_from", default="", help="Issued on or after YYYY-MM-DD.")
@click.option("--to", "date_to", default="", help="Issued on or before YYYY-MM-DD.")
@click.option("--facets", is_flag=True, help="Include facet counts.")
@date_option(
    "--as-of",
    "as_of",
    help="Judge validity on this date (YYYY-MM-DD): only documents in force then, unless "
    "--validity says which; hits show their status on that date.",
)
@click.option(
    "--no-synonyms",
    "no_synonyms",
    is_flag=True,
    help="Search the words exactly as typed (no synonyms or abbreviations added).",
)
@click.option(
    "--exact",
    is_flag=True,
    help="Search the query as typed: no pinyin reading, no typo correction.",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Say why each hit ranks where it does (fields and words matched, boosts, synonyms).",
)
@output_options()
@handles_errors
@with_data(readonly=True)
def search(
    gk: Any,
    query: tuple[str, ...],
    limit: int,
    offset: int,
    sort: str,
    valid_only: bool,
    facets: bool,
    as_of: str | None,
    no_synonyms: bool,
    exact: bool,
    explain: bool,
    as_json: bool,
    **chosen: Any,  # --agency --kind --doc-type --year --validity --category --from --to
) -> None:
    """Search. Words are ANDed; "a phrase"; -exclude; a OR b; title:word; a 文号 or 索引号.


    Synonyms and abbreviations are searched too (公租房 also finds 公共租赁住房) unless
    --no-synonyms; quoted phrases are always exact. Pinyin (wygl, guanli banfa) finds the
    words it spells; a likely typo gets a suggestion, and its results when the query as typed
    finds nothing (--exact: neither)."""
    from indexer.search_report import filters_from_options, search_lines

    result = gk.search(
        " ".join(query),
        filters=filters_from_options(valid_only, as_of, **chosen),
        sort=sort,
        limit=limit,
        offset=offset,
        facets=facets,
        as_of=as_of,
        expand=not no_synonyms,
        exact=exact,
        explain=explain,
    )
    if as_json:
        emit_json(result.to_dict())
        return
    bold = sys.stdout.isatty()
    marks = tuple(click.style("\0", fg="red", bold=True).split("\0")) if bold else ("[", "]")
    title = (lambda t: click.style(t, bold=True)) if bold else str
    echo_lines(search_lines(result, offset=offset, facets=facets, marks=marks, title=title))


# -- show / stats / reindex / verify ------------------------------------------------------


@main.command()
@click.argument("ref")
@click.option("--text/--no-text", default=True, help="Include the document text.")
@output_options()
@handles_errors
@with_data(readonly=True)
def show(gk: Any, ref: str, text: bool, as_json: bool) -> None:
    """Show a document by id, 文号 (any bracket style), 索引号 or exact title."""
    from indexer.document_view import document_views

    views = document_views(gk, ref)
    if not views:
        fail(f"no document matches {ref!r}", EXIT_NOT_FOUND)
    if as_json:
        shown = [v.to_dict(text=text) for v in views]
        emit_json(shown if len(views) > 1 else shown[0])
        return
    for view in views:
        echo_lines(view.text_lines(text=text))
        if len(views) > 1:
            click.echo("\n" + "-" * 40)


@main.command()
@click.argument("old_ref")
@click.argument("new_ref")
@output_options()
@handles_errors
@with_data(readonly=True)
def diff(gk: Any, old_ref: str, new_ref: str, as_json: bool) -> None:
    """新旧对照: compare two versions (id, 文号, 索引号 or title) article by article."""
    from indexer.diff_report import render_text

    report = gk.diff(old_ref, new_ref)
    emit(report.to_dict() if as_json else report, as_json, lambda r: click.echo(render_text(r)))


@main.command()
@click.argument("ref")
@date_option("--date", "as_of", help="Status on YYYY-MM-DD.")
@output_options()
@handles_errors
@with_data(readonly=True)
def decision(gk: Any, ref: str, as_of: str | None, as_json: bool) -> None:
    """What a cleanup decision (废止/宣布失效/继续有效 lists) changed, row by row:
    applied, proposed (only a title named), unresolved or kept."""
    emit(gk.decision(ref, as_of), as_json)


@main.command()
@output_options()
@handles_errors
@with_data(readonly=True)
def stats(gk: Any, as_json: bool) -> None:
    """Counts by validity, kind, agency and year, and the last import run."""
    from indexer.data_report import stats_lines
    from indexer.provenance import last_run

    report = {
        **gk.archive.stats(),
        "engine": gk.engine_name,
        "last_run": last_run(gk.archive),
        **gk.cluster_findings(),
    }
    emit(report, as_json, lambda r: echo_lines(stats_lines(r)))


@main.command()
@click.argument("run_id", metavar="ID", required=False, type=int)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@output_options()
@handles_errors
@with_data(readonly=True)
def runs(gk: Any, run_id: int | None, limit: int, as_json: bool) -> None:
    """Import runs with their counts, newest first; with ID, that run's items: where each
    came from (path under the imported folder, manifest line) and what became of it."""
    from indexer import provenance

    if run_id is None:
        data: Any = provenance.run_list(gk.archive, limit)
        emit(data, as_json, lambda d: click.echo("\n".join(provenance.runs_text(d))))
    else:
        data = provenance.run_detail(gk.archive, run_id)
        emit(data, as_json, lambda d: click.echo("\n".join(provenance.run_text(d))))


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
@cluster_options
@output_options()
@handles_errors
@with_data()
def reindex(
    gk: Any,
    engine: str | None,
    workers: int | None,
    nodes: str | None,
    api_key_file: str | None,
    phrases: str | None,
    as_json: bool,
) -> None:
    """Rebuild the search index from the archive."""
    if phrases and not nodes:
        raise click.UsageError("--phrases goes with --nodes (the cluster it applies to)")
    if nodes:
        gk.set_cluster(nodes, api_key_file, phrases)
    count = gk.reindex(engine=engine, workers=_worker_count(workers))
    name = gk.engine_name
    emit(
        {"indexed": count, **({"engine": name} if engine else {})},
        as_json,
        lambda _: click.echo(f"indexed {count} documents (engine: {name})"),
    )


@main.command()
@click.option(
    "--repair", is_flag=True, help="Re-index what is missing or stale (rebuild a damaged index)."
)
@click.option("--quick", is_flag=True, help="Only check originals are present (no re-hashing).")
@output_options()
@handles_errors
@with_data()
def verify(gk: Any, repair: bool, quick: bool, as_json: bool) -> None:
    """Check the stored data (originals re-hashed, SQLite's integrity check, every row
    decoded, the index readable) and that the index agrees with the archive."""
    from indexer.data_report import verify_lines

    report = gk.verify(quick=quick, repair=repair)
    emit(report, as_json, lambda r: echo_lines(verify_lines(r)))
    if not report["ok"]:
        click.get_current_context().exit(EXIT_FAILED)


@main.command()
@click.argument("dest", type=click.Path(path_type=Path))
@output_options()
@click.pass_context
@handles_errors
def backup(ctx: click.Context, dest: Path, as_json: bool) -> None:
    """Back up the archive, its originals and configuration into the new folder DEST, with a
    manifest of sha256 hashes; safe while the site serves and an import runs (no index: a
    restore rebuilds it). Exit 1 if an original was missing or damaged."""
    from archive.backup import backup as make_backup
    from indexer.config import apply_sharing, read_config

    apply_sharing(read_config(ctx.obj["data"]))  # a shared directory's backup: group-readable

    report = make_backup(ctx.obj["data"], dest)
    emit(
        report,
        as_json,
        lambda r: click.echo(f"backed up {r['documents']} documents to {r['dest']}"),
    )
    if not report["ok"]:
        click.echo("gongkai: originals missing or damaged, not in the backup", err=True)
        ctx.exit(EXIT_FAILED)


@main.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace what the data directory holds.")
@output_options()
@click.pass_context
@handles_errors
def restore(ctx: click.Context, src: Path, force: bool, as_json: bool) -> None:
    """Restore the backup SRC into the data directory: every file checked against the
    manifest (exit 7 if one differs, nothing touched), the index rebuilt, then verified
    (exit 1 if verify finds problems). A data directory that holds anything needs --force."""
    from indexer.restoring import restore as restore_backup

    report = restore_backup(src, ctx.obj["data"], force=force)
    emit(
        report,
        as_json,
        lambda r: click.echo(
            f"restored {r['documents']} documents into {r['data']}; "
            + ("verify: ok" if r["ok"] else "verify found problems (run `gongkai verify`)")
        ),
    )
    if not report["ok"]:
        ctx.exit(EXIT_FAILED)


# -- web site and staff accounts ----------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="Server processes (gunicorn) [default: number of cores].",
)
@click.option(
    "--threads", default=4, show_default=True, type=click.IntRange(1, 64), help="Per process."
)
@click.option(
    "--server",
    type=click.Choice(["auto", "gunicorn", "waitress"]),
    default="auto",
    show_default=True,
    help="gunicorn (several processes; auto where it runs) or waitress (one process).",
)
@click.option(
    "--base-url",
    envvar="GONGKAI_BASE_URL",
    default="",
    help="Public root of the site (https://…) for links in feeds and the API "
    "[env GONGKAI_BASE_URL; default http://HOST:PORT].",
)
@click.option(
    "--secure-cookies/--no-secure-cookies",
    envvar="GONGKAI_SECURE_COOKIES",
    default=None,
    help="Send cookies over HTTPS only [env GONGKAI_SECURE_COOKIES; default: on when the "
    "base URL is https].",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Only check that this account can read what the site reads; exit 0 or 8.",
)
@click.pass_context
@handles_errors
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int | None,
    threads: int,
    server: str,
    base_url: str,
    secure_cookies: bool | None,
    check_only: bool,
) -> None:
    """Run the web site and JSON API with a production WSGI server: gunicorn with several
    processes where it runs, else waitress (one process).

    Public pages read the data directory read-only; staff changes take the write lock. Every
    process sees a change at once. `kill -HUP` on the first process printed restarts the
    workers gracefully (new code and all); see README "Behind nginx".
    First it checks that this account can read the data directory, gongkai.json, the
    archive, web-secret.key, the originals and the index; if not, it names what it cannot
    read and exits 8 (README: Running as two users).
    """
    from search_app.serving import check_site, serve_site

    data_dir = ctx.obj["data"]
    check_site(data_dir)
    if check_only:
        click.echo(f"{data_dir}: this account can read what the site needs")
        return
    serve_site(
        data_dir,
        server=server,
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        base_url=base_url,
        secure_cookies=secure_cookies,
        announce=lambda line: click.echo(line, err=True),
    )


@main.group()
def user() -> None:
    """Staff accounts for the web tools."""


@user.command("add")
@click.argument("name")
@password_option
@click.pass_context
@handles_errors
def user_add(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Create a staff account NAME (prompts for the password unless --password-stdin)."""
    from search_app.auth import UserError, add_user

    password = read_password(password_stdin, "Password")
    with open_data(ctx) as gk:
        try:
            add_user(gk.archive, name, password)
        except UserError as exc:
            fail(str(exc), EXIT_USAGE)
    click.echo(f"added user {name.strip()}")


@user.command("list")
@output_options()
@handles_errors
@with_data()
def user_list(gk: Any, as_json: bool) -> None:
    """List staff accounts."""
    from search_app.auth import list_users

    users = list_users(gk.archive)
    emit(users, as_json, lambda u: echo_lines(f"{a['name']}  {a['created_at']}" for a in u))


def _account_command(verb: str, done: str) -> None:
    """``gongkai user disable|enable|delete NAME``: one account change that also ends every
    session of the account; ``--json`` gives ``{"user", "action", "sessions_ended"}``."""

    @user.command(verb, help=f"{verb.capitalize()} the staff account NAME; its sessions end.")
    @click.argument("name")
    @output_options()
    @handles_errors
    @with_data()
    def command(gk: Any, name: str, as_json: bool) -> None:
        from search_app import auth

        ended = getattr(auth, f"{verb}_user")(gk.archive, name)
        result = {"user": name, "action": verb, "sessions_ended": ended}
        emit(result, as_json, lambda r: click.echo(f"{done} {name} ({ended} session(s) ended)"))


for _verb, _done in (("disable", "disabled"), ("enable", "enabled"), ("delete", "deleted")):
    _account_command(_verb, _done)


@user.command("passwd")
@click.argument("name")
@password_option
@output_options()
@click.pass_context
@handles_errors
@with_data()
def user_passwd(
    gk: Any, ctx: click.Context, name: str, password_stdin: bool, as_json: bool
) -> None:
    """Set a new password for NAME; every session of the account ends."""
    from search_app.auth import change_password

    password = read_password(password_stdin, "New password")
    ended = change_password(gk.archive, name, password)
    result = {"user": name, "action": "passwd", "sessions_ended": ended}
    emit(result, as_json, lambda r: click.echo(f"password changed for {name} ({ended} ended)"))


@user.command("sessions")
@click.argument("name", required=False)
@output_options()
@handles_errors
@with_data()
def user_sessions(gk: Any, name: str | None, as_json: bool) -> None:
    """List live staff sessions (of NAME, or of every account); tokens are never shown."""
    from search_app.auth import list_sessions

    def text(rows: list[dict[str, object]]) -> None:
        for row in rows:
            click.echo(
                f"{row['user']}  since {row['created_at']}  seen {row['last_seen_at']}  "
                f"{row['address']}"
            )

    emit(list_sessions(gk.archive, name), as_json, text)


# -- validity and relations: check, status, link, unlink, relations, proposals, history ----


def _actor() -> str:
    return os.environ.get("GONGKAI_ACTOR") or os.environ.get("USER") or "staff"


def _echo_relations(rows: list[dict[str, object]], empty: str = "") -> None:
    from indexer.status_text import relation_lines

    echo_lines(relation_lines(rows, empty))


@main.command()
@click.argument("queries", nargs=-1)
@date_option("--as-of", "as_of", help="Validity on this date (default today).")
@click.option(
    "--file",
    "list_file",
    type=click.File("r", encoding="utf-8-sig"),
    help="One query per line ('-' for stdin); blank lines and # comments are skipped.",
)
@output_options(csv="One CSV row per matched document.")
@handles_errors
def check(
    queries: tuple[str, ...],
    as_of: str | None,
    list_file: Any,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Is it still valid? QUERY is a 文号 (any bracket style), 索引号, id or title.

    Exit 0 if every query found a document in force, 3 if any is not in force, 4 if any
    matched nothing (4 wins over 3).
    """
    from indexer import checkreport

    items = checkreport.queries(queries, list_file or ())
    if not items:
        fail("give at least one QUERY or --file LIST", EXIT_USAGE)
    ctx = click.get_current_context()
    with open_data(ctx, readonly=True) as gk:
        results = gk.check(items, as_of)
    if as_csv and not as_json:
        checkreport.write(sys.stdout, checkreport.rows(results))
    else:
        shown = [r.to_dict() for r in results] if as_json else results
        emit(shown, as_json, lambda r: echo_lines(checkreport.check_lines(r)))
    if any(not r.found for r in results):
        ctx.exit(EXIT_NOT_FOUND)
    if any(not r.valid for r in results):
        ctx.exit(EXIT_NOT_VALID)


@main.command()
@click.argument("ref")
@click.argument("validity", required=False, default="")
@date_option("--date", "date_", help="From this date (YYYY-MM-DD).")
@click.option("--by", "by_ref", default="", help="The document that caused it (id or 文号).")
@note_option
@click.option("--clear", is_flag=True, help="Withdraw earlier staff records (derive again).")
@date_option("--as-of", "as_of", help="Only showing: the status on this date.")
@output_options()
@click.pass_context
@handles_errors
def status(
    ctx: click.Context,
    ref: str,
    validity: str,
    date_: str | None,
    by_ref: str,
    note: str,
    clear: bool,
    as_of: str | None,
    as_json: bool,
) -> None:
    """Show the status of a document, or record a staff status: VALIDITY is one of
    有效 尚未生效 已修改 部分失效 失效 已废止 未知 (or a synonym such as 废止, 现行有效)."""
    from indexer.staff_status import status_or_record
    from indexer.status_text import status_lines

    doc, result = status_or_record(
        ctx.obj["data"],
        ref,
        validity,
        clear=clear,
        date=date_ or "",
        by_ref=by_ref,
        note=note,
        actor=_actor(),
        as_of=as_of,
    )
    lines = [f"{doc.title} [{doc.id}]", *status_lines(result)]
    emit(result, as_json, lambda _: echo_lines(lines))


@main.command()
@click.argument("src")
@click.argument("rel_type", metavar="TYPE", type=click.Choice(RELATION_TYPES))
@click.argument("dst")
@date_option("--date", "date_", help="Effective date (YYYY-MM-DD).")
@note_option
@output_options()
@handles_errors
@with_data()
def link(
    gk: Any, src: str, rel_type: str, dst: str, date_: str | None, note: str, as_json: bool
) -> None:
    """Relate two documents: SRC repeals|amends|supersedes|interprets|answers|cites DST.

    SRC and DST are ids, 文号 or titles naming one document each. A proposed or rejected
    relation of the same kind is confirmed."""
    rel = gk.link(
        gk.one(src).id, rel_type, gk.one(dst).id, date=date_ or "", note=note, actor=_actor()
    )
    emit(gk.relation_rows([rel])[0], as_json, lambda row: _echo_relations([row]))


@main.command()
@click.argument("refs", nargs=-1, required=True)
@note_option
@output_options()
@handles_errors
@with_data()
def unlink(gk: Any, refs: tuple[str, ...], note: str, as_json: bool) -> None:
    """Reject a relation: ``unlink SRC TYPE DST`` or ``unlink RELATION_ID``.

    The relation is kept as rejected (never deleted) and the linker will not make it again."""
    if len(refs) == 1 and refs[0].lstrip("#").isdigit():
        rel = gk.set_relation_state(int(refs[0].lstrip("#")), "rejected", note=note, actor=_actor())
    elif len(refs) == 3:
        if refs[1] not in RELATION_TYPES:
            fail(f"unknown relation type {refs[1]!r}", EXIT_USAGE)
        rel = gk.unlink(gk.one(refs[0]).id, refs[1], gk.one(refs[2]).id, note=note, actor=_actor())
    else:
        fail("give SRC TYPE DST or one relation id", EXIT_USAGE)
    emit(gk.relation_rows([rel])[0], as_json, lambda row: _echo_relations([row]))


@main.command()
@click.argument("ref")
@output_options()
@handles_errors
@with_data(readonly=True)
def relations(gk: Any, ref: str, as_json: bool) -> None:
    """Every relation from or to a document, in any state (proposed, confirmed, rejected)."""
    rows = gk.relation_rows(gk.relations(gk.one(ref).id))
    emit(rows, as_json, lambda rows: _echo_relations(rows, empty="no relations"))


@main.group(invoke_without_command=True)
@output_options()
@click.pass_context
@handles_errors
def proposals(ctx: click.Context, as_json: bool) -> None:
    """Automatic relations waiting for staff; ``confirm`` or ``reject`` them by id."""
    if ctx.invoked_subcommand is not None:
        return
    with open_data(ctx, readonly=True) as gk:
        rows = gk.relation_rows(gk.proposals())
    emit(rows, as_json, lambda rows: _echo_relations(rows, empty="no proposals"))


def _decide(gk: Any, ids: tuple[int, ...], state: str, note: str, as_json: bool) -> None:
    rels = [gk.set_relation_state(i, state, note=note, actor=_actor()) for i in ids]
    emit(gk.relation_rows(rels), as_json, _echo_relations)


@proposals.command("confirm")
@click.argument("ids", nargs=-1, required=True, type=int)
@click.option("--note", default="")
@output_options()
@handles_errors
@with_data()
def proposals_confirm(gk: Any, ids: tuple[int, ...], note: str, as_json: bool) -> None:
    """Confirm relations by id (they then count for validity)."""
    _decide(gk, ids, "confirmed", note, as_json)


@proposals.command("reject")
@click.argument("ids", nargs=-1, required=True, type=int)
@click.option("--note", default="")
@output_options()
@handles_errors
@with_data()
def proposals_reject(gk: Any, ids: tuple[int, ...], note: str, as_json: bool) -> None:
    """Reject relations by id (kept as rejected; never proposed again)."""
    _decide(gk, ids, "rejected", note, as_json)


@main.command()
@click.argument("ref")
@output_options()
@handles_errors
@with_data(readonly=True)
def history(gk: Any, ref: str, as_json: bool) -> None:
    """The append-only history of a document: import, relations, status records."""
    from indexer.history_view import readable

    rows = gk.history(gk.one(ref).id)
    emit(rows, as_json, lambda r: echo_lines(line.text() for line in readable(gk.archive, r)))


@main.command()
@output_options()
@handles_errors
@with_data()
def relink(gk: Any, as_json: bool) -> None:
    """Run the automatic linker over the whole archive (keeps every existing relation)."""
    emit(
        gk.relink(),
        as_json,
        lambda report: click.echo(", ".join(f"{k} {v}" for k, v in report.items())),
    )


@main.command("type")
@click.argument("ref")
@click.argument("value")
@click.option("--reason", required=True, help="Why (kept in history).")
@output_options()
@handles_errors
@with_data()
def type_command(gk: Any, ref: str, value: str, reason: str, as_json: bool) -> None:
    """Correct the type of a document: VALUE is 法律 行政法规 地方性法规 规章 规范性文件 其他文件
    政策解读 依申请公开答复 建议提案答复 (or a code such as rule), kept when types are inferred
    again; ``auto`` hands the document back to inference."""
    from indexer.status_text import doc_type_text

    doc = gk.set_doc_type(gk.one(ref).id, value, reason=reason, actor=_actor())
    row = {"id": doc.id, "doc_type": doc.doc_type, "doc_type_origin": doc.doc_type_origin}
    emit(
        row,
        as_json,
        lambda r: click.echo(
            f"{doc.title} [{doc.id}]: {doc_type_text(doc.doc_type, r['doc_type_origin'])}"
        ),
    )


@main.command()
@click.option("--untyped", is_flag=True, help="Only documents without a type yet.")
@output_options()
@handles_errors
@with_data()
def retype(gk: Any, untyped: bool, as_json: bool) -> None:
    """Infer every document's type again (法律, 规章 …); types staff or a manifest gave are kept."""
    from indexer.doctypes import retype_lines

    emit(gk.retype(untyped_only=untyped), as_json, lambda r: echo_lines(retype_lines(r)))


# -- metadata after import, withdrawal ----------------------------------------------------


@main.command()
@click.argument("ref")
@click.argument("assignments", nargs=-1, required=True)
@click.option("--reason", default="", help="Why (kept in history).")
@by_option
@click.option("--dry-run", is_flag=True, help="Show what would change, field by field.")
@output_options()
@handles_errors
@with_data()
def edit(
    gk: Any,
    ref: str,
    assignments: tuple[str, ...],
    reason: str,
    by: str,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Change a document's metadata: FIELD=VALUE … with fields title 文号 索引号 agency category
    date_written date_issued date_effective kind doc_type validity (or their Chinese names);
    an empty value clears a field. Recorded in the history; re-indexed at once."""
    from indexer.editing import parse_assignments, render_edit

    fields = parse_assignments(assignments)
    result = gk.edit(gk.one(ref).id, fields, actor=by or _actor(), reason=reason, dry_run=dry_run)
    emit(result.to_dict(), as_json, lambda r: click.echo(render_edit(result)))


@main.command()
@click.argument("ref")
@click.option("--reason", default="", help="Why (required to withdraw; kept in history).")
@click.option("--undo", is_flag=True, help="Restore a withdrawn document.")
@by_option
@dry_run_option
@output_options()
@handles_errors
@with_data()
def withdraw(
    gk: Any, ref: str, reason: str, undo: bool, by: str, dry_run: bool, as_json: bool
) -> None:
    """Withdraw a document (撤回): gone from search, public pages, feeds and the API; kept in
    the archive, its history and staff pages. --undo (or restore-withdrawn) brings it back."""
    _withdraw(gk, ref, reason, undo, by, dry_run, as_json)


def _withdraw(
    gk: Any, ref: str, reason: str, undo: bool, by: str, dry_run: bool, as_json: bool
) -> None:
    from indexer.withdrawal import render_withdrawal

    doc_id = gk.one(ref).id
    report = gk.withdraw(doc_id, undo=undo, actor=by or _actor(), reason=reason, dry_run=dry_run)
    emit(report, as_json, lambda r: click.echo(render_withdrawal(r)))


@main.command("restore-withdrawn")
@click.argument("ref")
@click.option("--reason", default="", help="Why (kept in history).")
@by_option
@dry_run_option
@output_options()
@handles_errors
@with_data()
def restore_withdrawn(
    gk: Any, ref: str, reason: str, by: str, dry_run: bool, as_json: bool
) -> None:
    """Make a withdrawn document public again (the same as withdraw --undo)."""
    _withdraw(gk, ref, reason, True, by, dry_run, as_json)


@main.command()
@click.option(
    "--engine",
    type=click.Choice(ENGINE_NAMES),
    default="whoosh",
    show_default=True,
    help="Search engine of this data directory (tantivy for large archives).",
)
@click.option(
    "--group",
    default=None,
    help="Share the data directory with this group (the web server's account reads through "
    "it): chgrp, setgid folders, group-readable files from now on.",
)
@cluster_options
@click.option(
    "--archive",
    "archive_url",
    default=None,
    metavar="URL",
    help="Keep the archive in PostgreSQL (postgresql://user@host/db); the password comes "
    "from PGPASSWORD, ~/.pgpass or GONGKAI_ARCHIVE_URL and is never stored.",
)
@output_options()
@click.pass_context
@handles_errors
def init(
    ctx: click.Context,
    engine: str,
    group: str | None,
    nodes: str | None,
    api_key_file: str | None,
    phrases: str | None,
    archive_url: str | None,
    as_json: bool,
) -> None:
    """Create a data directory using ENGINE (recorded in its gongkai.json).

    A data directory that already holds documents keeps its engine; convert it with
    `gongkai reindex --engine NAME`. With --group NAME (also on an existing directory) the
    tree is handed to group NAME, its folders made setgid (2750) and its files
    group-readable (0640), and everything Gongkai writes there later is 0640 too.
    """
    from indexer.service import init_data_dir

    data_dir = ctx.obj["data"]
    from archive.backend import stored_url

    config = init_data_dir(
        data_dir,
        engine,
        group=group,
        nodes=nodes,
        api_key_file=api_key_file,
        archive_url=archive_url,
        phrases=phrases,
    )
    shared = f", shared with group {config['group']}" if config.get("group") else ""
    where = stored_url(data_dir)  # without its password
    at = f", archive {where}" if where else ""
    emit(
        {"data": str(data_dir), **config, "archive": where or "sqlite"},
        as_json,
        lambda _: click.echo(f"{data_dir}: engine {config['engine']}{shared}{at}"),
    )


@main.group()
def cluster() -> None:
    """The servers of a data directory's engine (typesense)."""


@cluster.command("status")
@output_options()
@handles_errors
@with_data(readonly=True)
def cluster_status(gk: Any, as_json: bool) -> None:
    """Each node: up or down, leader or follower, documents held, how far behind."""
    status = gk.cluster_status()
    emit(status.to_dict(), as_json, lambda _: click.echo(status.render()))


@main.command("migrate")
@click.option(
    "--to",
    "to",
    required=True,
    metavar="URL|DIR",
    help="postgresql://… (this data directory moves there) or a new directory (an SQLite "
    "copy with its own index).",
)
@output_options()
@click.pass_context
@handles_errors
def migrate_command(ctx: click.Context, to: str, as_json: bool) -> None:
    """Copy the archive (documents, originals, history, relations, accounts) to PostgreSQL
    or to a new SQLite data directory, and check the copy (rows, revisions, every original
    hashed). To PostgreSQL, the data directory then uses it; archive.sqlite3 is kept as
    archive.sqlite3.migrated. The password comes from PGPASSWORD, ~/.pgpass or
    GONGKAI_ARCHIVE_URL, and is never stored or printed."""
    from indexer.moving import migrate, migrate_text

    emit(migrate(ctx.obj["data"], to), as_json, lambda r: click.echo(migrate_text(r)))


# -- synonyms -----------------------------------------------------------------------------


@main.group(invoke_without_command=True)
@click.pass_context
def synonyms(ctx: click.Context) -> None:
    """Staff synonym groups, searched together with the shipped table (list|add|remove)."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


@synonyms.command("list")
@output_options()
@handles_errors
@with_data(readonly=True)
def synonyms_list(gk: Any, as_json: bool) -> None:
    """The staff entries in force (id, terms, who, when, why)."""
    from indexer.synonym_table import entry_lines

    rows = [e.to_dict() for e in gk.synonyms.staff_entries()]
    emit(rows, as_json, lambda r: echo_lines(entry_lines(r)))


@synonyms.command("add")
@click.argument("terms", nargs=-1, required=True)
@click.option("--note", default="", help="Why (recorded in the history).")
@click.option("--replace", is_flag=True, help="Take the terms out of their shipped groups first.")
@output_options()
@handles_errors
@with_data()
def synonyms_add(gk: Any, terms: tuple[str, ...], note: str, replace: bool, as_json: bool) -> None:
    """Add a group of TERMS that mean the same (joins the shipped group they share a term
    with). Exit 2 when the group is malformed or would join two groups."""
    entry = gk.add_synonym(list(terms), actor=_actor(), note=note, replace=replace)
    emit(
        entry.to_dict(),
        as_json,
        lambda _: click.echo(f"added #{entry.id}: {'|'.join(entry.terms)}"),
    )


@synonyms.command("remove")
@click.argument("entry_id", type=int)
@click.option("--note", default="", help="Why (recorded in the history).")
@output_options()
@handles_errors
@with_data()
def synonyms_remove(gk: Any, entry_id: int, note: str, as_json: bool) -> None:
    """Withdraw staff entry ENTRY_ID (kept in the history). Exit 4 when there is none."""
    entry = gk.remove_synonym(entry_id, actor=_actor(), note=note)
    emit(
        entry.to_dict(),
        as_json,
        lambda _: click.echo(f"removed #{entry.id}: {'|'.join(entry.terms)}"),
    )


# -- reports and export ----------------------------------------------------------------------


@main.group()
def report() -> None:
    """Reports filled from the archive (``report annual``: the 年度报告 tables)."""


@report.command("annual")
@click.option("--year", required=True, type=click.IntRange(1900, 2999), help="The report's year.")
@click.option("--agency", multiple=True, help="发布机构, as archived (repeatable; none: all).")
@click.option(
    "--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), help="Also write CSV."
)
@click.option(
    "--xlsx", "xlsx_file", type=click.Path(dir_okay=False, path_type=Path), help="Also write XLSX."
)
@output_options()
@handles_errors
@with_data()
def report_annual(
    gk: Any,
    year: int,
    agency: tuple[str, ...],
    csv_file: Path | None,
    xlsx_file: Path | None,
    as_json: bool,
) -> None:
    """Fill the 政府信息公开工作年度报告 tables (sections 二 and 三) for YEAR; every count lists
    the documents behind it (--json: their ids); what the archive cannot know stays blank."""
    from indexer.annual_report import render_text, write_csv, write_xlsx

    result = gk.annual_report(year, agency)
    if csv_file:
        with csv_file.open("w", encoding="utf-8-sig", newline="") as handle:
            write_csv(result, handle)
    if xlsx_file:
        write_xlsx(result, xlsx_file)
    emit(result.to_dict(), as_json, lambda _: click.echo(render_text(result)))


@main.command()
@click.argument("ref")
@click.argument("value")
@click.option("--reason", required=True, help="Why (kept in history).")
@output_options()
@handles_errors
@with_data()
def outcome(gk: Any, ref: str, value: str, reason: str, as_json: bool) -> None:
    """Correct the outcome (办理结果) of a 依申请公开 answer: VALUE is a code (disclosed, partly,
    refused_secret, unable_not_held …) or its label (予以公开, 本机关不掌握相关政府信息 …)."""
    from archive.outcomes import OUTCOME_LABELS

    result = gk.set_outcome(gk.one(ref).id, value, reason=reason, actor=_actor())
    emit(
        result.to_dict(),
        as_json,
        lambda r: click.echo(f"{r['doc_id']}: {OUTCOME_LABELS[r['outcome']]}（工作人员修改）"),
    )


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl", "xlsx"]), default="csv", show_default=True
)
@click.option("--agency", multiple=True, help="发布机构 (repeatable: any of them).")
@click.option("--kind", multiple=True, type=click.Choice(KINDS))
@doc_type_option("Document type, by code or Chinese name (repeatable: any of them).")
@click.option("--valid-only", is_flag=True, help="Only documents in force today.")
@date_option("--from", "date_from", help="Issued on or after.")
@date_option("--to", "date_to", help="Issued on or before.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (xlsx: required)."
)
@handles_errors
@with_data(readonly=True)
def export(
    gk: Any,
    fmt: str,
    agency: tuple[str, ...],
    kind: tuple[str, ...],
    doc_type: tuple[str, ...],
    valid_only: bool,
    date_from: str | None,
    date_to: str | None,
    output: Path | None,
) -> None:
    """Write the metadata catalogue (政府信息公开目录 columns, the status today and its basis),
    streamed; `import --manifest` reads the CSV, JSONL or XLSX back."""
    from archive.catalogue import CatalogueFilter
    from indexer.export import export_catalogue

    chosen = CatalogueFilter(agency, kind, doc_type, date_from or "", date_to or "")
    rows = gk.catalogue(chosen, valid_only=valid_only)
    if fmt == "xlsx" and output is None:
        fail("--format xlsx needs -o FILE", EXIT_USAGE)
    count = export_catalogue(rows, fmt, output or sys.stdout)
    if output is not None:
        click.echo(f"exported {count} documents to {output}")


if __name__ == "__main__":  # pragma: no cover - after every command is registered
    main()

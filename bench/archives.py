"""SQLite versus PostgreSQL as the archive, in one run: import MB/s and web search p50/p95.

The same generated corpus as ``bench/engines.py`` (recombined paragraphs of the shared
corpus, fixed seed; nothing of it is written into the repository) is imported into two data
directories with the same engine, one with an SQLite archive and one with a PostgreSQL
archive (a fresh schema, dropped afterwards), each in a fresh process through
``Gongkai.import_manifest``; then ``bench/web_latency.py`` drives the real web server
(waitress, real HTTP) with the same search requests against each.

    GONGKAI_BENCH_POSTGRES=postgresql://user:pw@localhost/db \\
        .venv/bin/python bench/archives.py --docs 20000

The password is read from the URL (or PGPASSWORD) and handed to the child processes in
their environment. Results go to ``bench/out/archives.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.backend import NEW_ENV, redacted, stored_url
from bench.common import DEFAULT_CORPUS, OUT_DIR, load_corpus
from bench.engines import SEED, generate, write_manifest

HERE = Path(__file__).resolve().parent


def child(script: str, *args: str, env: dict[str, str]) -> dict:
    """Run a bench script in a fresh interpreter; its last stdout line is JSON."""
    done = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script} {args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def drop_schema(url: str, data: Path) -> None:
    import psycopg

    where = stored_url(data)
    if where is None:
        return
    schema = where.rsplit("search_path%3D", 1)[-1].split("&")[0]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--engine", default="tantivy")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--postgres", default=os.environ.get("GONGKAI_BENCH_POSTGRES", ""))
    parser.add_argument("--out", default=str(OUT_DIR / "archives.json"))
    parser.add_argument("--backends", default="sqlite,postgresql", type=lambda s: s.split(","))
    args = parser.parse_args()
    if not args.postgres:
        raise SystemExit("give --postgres URL (or GONGKAI_BENCH_POSTGRES)")

    rows = generate(load_corpus(Path(args.corpus)), args.docs, SEED)
    body_mb = sum(len(r["body"].encode("utf-8")) for r in rows) / 1e6
    tmp = Path(tempfile.mkdtemp(prefix="gongkai-archives-"))
    manifest = tmp / "docs.jsonl"
    write_manifest(rows, manifest)
    del rows
    results: dict = {"docs": args.docs, "body_mb": round(body_mb, 1), "engine": args.engine}
    results["loadavg_start"] = os.getloadavg()
    base_env = {k: v for k, v in os.environ.items() if k != NEW_ENV}
    password = urlsplit(args.postgres).password
    try:
        for backend in args.backends:
            env = dict(base_env)
            if backend == "postgresql":
                env[NEW_ENV] = redacted(args.postgres)
                if password:
                    env["PGPASSWORD"] = password
            data = tmp / f"data-{backend}"
            print(f"[{args.docs} docs, {body_mb:.1f} MB] {backend}: importing…", flush=True)
            imported = child(
                "engines.py", "_import", args.engine, str(data), str(manifest),
                str(args.workers), env=env,
            )  # fmt: skip
            print(f"[{args.docs} docs] {backend}: searching through the web server…", flush=True)
            searched = child(
                "web_latency.py", "--data", str(data), "--requests", str(args.requests),
                "--json", env=env,
            )  # fmt: skip
            results[backend] = {
                "import_s": imported["seconds"],
                "import_mb_per_s": round(body_mb / imported["seconds"], 2),
                "import_docs_per_s": round(args.docs / imported["seconds"], 1),
                "search": searched,
            }
            print(json.dumps({backend: results[backend]}, ensure_ascii=False), flush=True)
            if backend == "postgresql":
                drop_schema(args.postgres, data)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["loadavg_end"] = os.getloadavg()
    if "sqlite" in results and "postgresql" in results:
        ratio = results["postgresql"]["import_s"] / results["sqlite"]["import_s"]
        results["import_ratio_pg_over_sqlite"] = round(ratio, 2)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

"""SQLite versus PostgreSQL as the archive, in one run: import MB/s and web search p50/p95.

The same generated corpus as ``bench/engines.py`` (recombined paragraphs of the shared
corpus, fixed seed; nothing of it is written into the repository) is imported into two data
directories with the same engine, one with an SQLite archive and one with a PostgreSQL
archive (a fresh schema, dropped afterwards), each in a fresh process through
``Gongkai.import_manifest``; then ``bench/web_latency.py`` drives the real web server
(waitress, real HTTP) with the same search requests against each. Runs made one after the
other drift with the machine's speed by more than the difference sought, so then both
archives are served at once and ``--alternating`` searches (default 400) go to each in turn,
request by request (``web_latency.py --against``): the fairer comparison.

Then ``--clients`` concurrent clients (default 20) send ``bench/load.py``'s request mix
(searches, document pages, 文号 look-ups, check POSTs, home pages) to real ``gongkai serve``
processes: one node over each archive, and two nodes over the PostgreSQL archive (the
clients alternate between them, as a round-robin balancer would): requests per second and
p50/p95. Each node is ``--serve-args`` (default one waitress process), so that two nodes
are twice the server processes of one.

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
from bench.common import DEFAULT_CORPUS, OUT_DIR, load_corpus, write_results
from bench.engines import SEED, generate, write_manifest

HERE = Path(__file__).resolve().parent


def nodes_step(data: Path, nodes: int, clients: int, requests: int, seconds: float,
               serve_args: list[str]) -> dict:  # fmt: skip
    """``clients`` concurrent clients against ``nodes`` web nodes over ``data`` (run in a
    child process: the archive's password is in its environment)."""
    sys.path.insert(0, str(HERE))
    import load

    mix = load.build_mix(data, load.WARM_UP + requests, 300)
    command = load.gongkai_command(None)
    ports = [load.free_port() for _ in range(nodes)]
    servers = [load.start_server(command, data, port, serve_args) for port in ports]
    try:
        for i, request in enumerate(mix[: load.WARM_UP]):
            load.fetch(ports[i % nodes], request)
        level = load.run_level(ports, clients, mix[load.WARM_UP :], requests, seconds)
        rss = [mb for server in servers for mb in load.rss_per_process(server.pid)]
        row = load.summary(level, rss)
    finally:
        for server in servers:
            os.killpg(server.pid, 15)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)
    row["nodes"] = nodes
    row["loadavg"] = os.getloadavg()
    return row


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
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (0: none)")
    parser.add_argument("--load-requests", type=int, default=600, help="per node count, at most")
    parser.add_argument("--load-seconds", type=float, default=60.0, help="per node count, at most")
    parser.add_argument("--serve-args", default="--server waitress", help="serve options per node")
    parser.add_argument(
        "--alternating",
        type=int,
        default=400,
        help="searches sent to both archives' web servers in turn, request by request (0: none)",
    )
    if len(sys.argv) > 1 and sys.argv[1] == "_nodes":  # a child: see nodes_step
        data, nodes, clients, requests, seconds = sys.argv[2:7]
        row = nodes_step(Path(data), int(nodes), int(clients), int(requests), float(seconds),
                         sys.argv[7].split())  # fmt: skip
        print(json.dumps(row, ensure_ascii=False))
        return
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
            counts = (1, 2) if backend == "postgresql" else (1,)
            for nodes in counts if args.clients > 0 else ():
                print(f"[{args.docs} docs] {backend}: {args.clients} clients, {nodes} node(s)…",
                      flush=True)  # fmt: skip
                results[backend][f"load_{nodes}_node"] = child(
                    "archives.py", "_nodes", str(data), str(nodes), str(args.clients),
                    str(args.load_requests), str(args.load_seconds), args.serve_args, env=env,
                )  # fmt: skip
            print(json.dumps({backend: results[backend]}, ensure_ascii=False), flush=True)
        if "sqlite" in results and "postgresql" in results and args.alternating > 0:
            print(f"[{args.docs} docs] web search alternating between the two…", flush=True)
            results["alternating"] = child(
                "web_latency.py", "--data", str(tmp / "data-sqlite"), "--against",
                str(tmp / "data-postgresql"), "--requests", str(args.alternating), "--json",
                env={**base_env, **({"PGPASSWORD": password} if password else {})},
            )  # fmt: skip
            print(json.dumps({"alternating": results["alternating"]}), flush=True)
    finally:
        if "postgresql" in args.backends and (tmp / "data-postgresql").exists():
            drop_schema(args.postgres, tmp / "data-postgresql")
        shutil.rmtree(tmp, ignore_errors=True)
    results["loadavg_end"] = os.getloadavg()
    if "sqlite" in results and "postgresql" in results:
        ratio = results["postgresql"]["import_s"] / results["sqlite"]["import_s"]
        results["import_ratio_pg_over_sqlite"] = round(ratio, 2)
    write_results(Path(args.out), results)


if __name__ == "__main__":
    main()

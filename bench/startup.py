"""Start-up cost of the ``gongkai`` command, timed as whole processes: min / median / max.

    python bench/startup.py [--runs 20] [--query 公开] [--json]

A person runs ``gongkai check`` or ``gongkai search`` dozens of times a day, often from a
script; most of a short command's time is Python importing modules. This times three things
from the outside, the way a shell sees them:

- ``gongkai --version`` (imports the CLI and nothing else),
- ``gongkai --help``,
- ``gongkai search QUERY`` on a small archive (the repository's ``examples/``, imported into
  a temporary data directory first).

Each command runs once as a warm-up (not counted), then ``--runs`` times. Children run with
``PYTHONDONTWRITEBYTECODE`` removed, so the warm-up leaves compiled modules behind as an
installed copy has them; with it set, every run would compile every module again and time
that instead. The ``gongkai`` script next to this Python is used; set ``PYTHONPATH`` to time
another checkout with the same environment.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def gongkai_script() -> Path:
    """The console script of the environment running this benchmark."""
    candidate = Path(sys.executable).parent / "gongkai"
    found = candidate if candidate.exists() else shutil.which("gongkai")
    if not found:
        sys.exit("bench/startup.py: no gongkai script found (pip install -e .)")
    return Path(found)


def time_command(argv: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """Wall seconds of ``runs`` runs of ``argv`` (after one uncounted warm-up)."""
    subprocess.run(argv, stdout=subprocess.DEVNULL, env=env, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, env=env, check=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="counted runs per command")
    parser.add_argument("--query", default="公开", help="the search query")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    script = str(gongkai_script())
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="gongkai-startup-") as tmp:
        data = str(Path(tmp) / "data")
        subprocess.run(
            [script, "--data", data, "import", "--quiet", str(REPO / "examples")],
            stdout=subprocess.DEVNULL,
            env=env,
            check=True,
        )
        commands = {
            "--version": [script, "--version"],
            "--help": [script, "--help"],
            f"search {args.query}": [script, "--data", data, "search", args.query],
        }
        for name, argv in commands.items():
            times = time_command(argv, args.runs, env)
            results[name] = {
                "min": min(times),
                "median": statistics.median(times),
                "max": max(times),
                "runs": len(times),
            }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"gongkai start-up, wall seconds over {args.runs} runs (whole processes)")
    print(f"{'command':<16} {'min':>7} {'median':>7} {'max':>7}")
    for name, row in results.items():
        print(f"{name:<16} {row['min']:7.3f} {row['median']:7.3f} {row['max']:7.3f}")


if __name__ == "__main__":
    main()

"""Start-up time of the CLI against a bare Typer + rich import (target: <= 2x for `--help` and for
`analyze` of a 3-file app, whose analysis itself is counted too).

Run: .venv/bin/python bench/cli.py
Each command runs in a fresh interpreter, once untimed, then in RUNS rounds that run the baseline and
every command in turn (so a load spike on a shared machine hits all of them alike); the best round of
each is kept. Wall seconds decide the verdict; CPU seconds (user + system of the child) are printed
too, as they depend much less on what else the machine runs. Byte-code caching is on
(PYTHONDONTWRITEBYTECODE is dropped for the runs), as for an installed package: without it JustPush's
own modules are compiled on every start while Typer's and rich's come from their caches.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 7
TARGET = 2.0
APP = {
    "requirements.txt": "fastapi\n",
    "main.py": (
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/items')\ndef items():\n    return []\n"
    ),
    "README.md": "# demo\n",
}
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=ENV)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    justpush = str(Path(sys.executable).with_name("justpush"))
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in APP.items():
            (Path(tmp) / name).write_text(text)
        commands = {
            "import typer, rich": [sys.executable, "-c", "import typer, rich.console"],
            "justpush --help": [justpush, "--help"],
            "justpush analyze (3 files)": [justpush, "analyze", tmp],
        }
        for command in commands.values():
            timed(command)
        rounds = [{name: timed(command) for name, command in commands.items()} for _ in range(RUNS)]
    wall = {name: min(r[name][0] for r in rounds) for name in commands}
    cpu = {name: min(r[name][1] for r in rounds) for name in commands}
    base_wall, base_cpu = wall["import typer, rich"], cpu["import typer, rich"]
    print(f"{'command':<30} {'seconds':>8} {'ratio':>6} {'cpu s':>7} {'ratio':>6}")
    met = True
    for name in commands:
        ratio = wall[name] / base_wall
        met = met and ratio <= TARGET
        print(f"{name:<30} {wall[name]:8.3f} {ratio:6.2f} {cpu[name]:7.3f} {cpu[name] / base_cpu:6.2f}")
    print(f"verdict: {'MET' if met else 'NOT MET'} (each <= {TARGET:.0f}x the bare import, wall time)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

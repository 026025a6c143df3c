"""Start-up time of the CLI against a bare Typer + rich import (target: <= 2x for `--help` and for
`analyze` of a 3-file app, whose analysis itself is counted too).

Run: .venv/bin/python bench/cli.py
Each command runs in a fresh interpreter, best of five.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
TARGET = 2.0
APP = {
    "requirements.txt": "fastapi\n",
    "main.py": (
        "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/items')\ndef items():\n    return []\n"
    ),
    "README.md": "# demo\n",
}


def best(command: list[str]) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> int:
    justpush = str(Path(sys.executable).with_name("justpush"))
    baseline = best([sys.executable, "-c", "import typer, rich.console"])
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in APP.items():
            (Path(tmp) / name).write_text(text)
        cases = {
            "justpush --help": best([justpush, "--help"]),
            "justpush analyze (3 files)": best([justpush, "analyze", tmp]),
        }
    print(f"{'command':<30} {'seconds':>8} {'ratio':>6}")
    print(f"{'import typer, rich':<30} {baseline:8.3f} {1.0:6.2f}")
    met = True
    for name, seconds in cases.items():
        ratio = seconds / baseline
        met = met and ratio <= TARGET
        print(f"{name:<30} {seconds:8.3f} {ratio:6.2f}")
    print(f"verdict: {'MET' if met else 'NOT MET'} (each <= {TARGET:.0f}x the bare import)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

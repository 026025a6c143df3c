"""Analysis time of generated Python repositories of 500 / 1,000 / 2,000 files (target: 2,000 files <= 2 s).

Run: .venv/bin/python bench/analysis.py
Each repository is a FastAPI app whose routers, models and settings are spread over the files; every size is
analysed on a cold cache (fresh directory), best of three runs.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from justpush.analysis import analyze

SIZES = (500, 1000, 2000)
TARGET_SECONDS = 2.0
TARGET_FILES = 2000
RUNS = 3

ROUTER = '''"""Resource {n}."""
import os
from typing import Optional

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from pkg.deps import api_key

TIMEOUT = int(os.getenv("SERVICE_{n}_TIMEOUT", "30"))
router = APIRouter(prefix="/r{n}", tags=["r{n}"])


class Thing{n}(BaseModel):
    id: int
    name: str = Field(..., max_length=80)
    note: Optional[str] = None
    tags: list[str] = []


def helper_{n}(values: list[int]) -> int:
    total = 0
    for value in values:
        if value % 2:
            total += value
        else:
            total -= value
    return total


@router.get("/", response_model=list[Thing{n}])
def list_{n}(limit: int = Query(10, le=100), q: Optional[str] = None):
    return []


@router.post("/", response_model=Thing{n}, status_code=201, dependencies=[Depends(api_key)])
def create_{n}(thing: Thing{n}):
    return thing


@router.get("/{{item_id}}")
def get_{n}(item_id: int) -> Thing{n}:
    raise LookupError(item_id)
'''
UTIL = '''"""Helper module {n} without routes."""
import math


def area_{n}(radius: float) -> float:
    return math.pi * radius * radius


class Shape{n}:
    def __init__(self, sides: int) -> None:
        self.sides = sides

    def describe(self) -> str:
        return f"{{self.sides}} sides"
'''


def generate(root: Path, files: int) -> None:
    pkg = root / "pkg"
    (pkg / "routes").mkdir(parents=True)
    (root / "requirements.txt").write_text("fastapi\nuvicorn\n")
    (pkg / "__init__.py").write_text("")
    (pkg / "routes" / "__init__.py").write_text("")
    (pkg / "deps.py").write_text(
        "from fastapi import Security\nfrom fastapi.security import APIKeyHeader\n"
        "header = APIKeyHeader(name='X-API-Key')\n\n"
        "def api_key(key: str = Security(header)) -> str:\n    return key\n"
    )
    routers = files // 4
    imports = "\n".join(f"from pkg.routes import r{n}" for n in range(routers))
    includes = "\n".join(f"app.include_router(r{n}.router, prefix='/v1')" for n in range(routers))
    (pkg / "main.py").write_text(f"from fastapi import FastAPI\n{imports}\n\napp = FastAPI()\n{includes}\n")
    for n in range(routers):
        (pkg / "routes" / f"r{n}.py").write_text(ROUTER.format(n=n))
    for n in range(files - routers - 5):
        (pkg / f"util{n}.py").write_text(UTIL.format(n=n))


def measure(files: int) -> tuple[float, int]:
    best = float("inf")
    operations = 0
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            generate(root, files)
            start = time.perf_counter()
            result = analyze(root)
            best = min(best, time.perf_counter() - start)
            operations = sum(len(item) for item in result.spec["paths"].values())
    return best, operations


def main() -> int:
    print(f"{'files':>6} {'seconds':>8} {'s/1000 files':>13} {'operations':>10}")
    per_thousand: list[float] = []
    total_at_target = 0.0
    for files in SIZES:
        seconds, operations = measure(files)
        rate = seconds / files * 1000
        per_thousand.append(rate)
        if files == TARGET_FILES:
            total_at_target = seconds
        print(f"{files:>6} {seconds:>8.3f} {rate:>13.3f} {operations:>10}")
    ratio = total_at_target / TARGET_SECONDS
    growth = per_thousand[-1] / per_thousand[0]
    print(
        f"2,000 files: {total_at_target:.3f} s = {ratio:.2f} x the {TARGET_SECONDS:.0f} s target "
        f"({'met' if ratio <= 1 else 'MISSED'})"
    )
    print(f"linearity: s/1000 files at 2,000 vs 500 = {growth:.2f} (1.00 is perfectly linear)")
    return 0 if ratio <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())

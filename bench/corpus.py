"""Endpoint and parameter accuracy of the analysis on real public repositories (bench/corpus/*.yaml).

Run: .venv/bin/python bench/corpus.py CLONES_DIR [--only NAME ...] [--given-root] [--details]
Each ground-truth file names a repository and commit; its clone is expected at CLONES_DIR/<owner>__<name>.
The whole clone is analysed, as a user would upload it (``--given-root`` analyses the app folder instead).
Targets: endpoint F1 >= 0.95 and parameter recall >= 0.85 over the corpus; each repository under 1 s.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from justpush.analysis import analyze

CORPUS = Path(__file__).with_name("corpus")
TARGET_F1 = 0.95
TARGET_PARAM_RECALL = 0.85
TARGET_SECONDS = 1.0
METHODS = ("get", "put", "post", "delete", "patch")


def endpoint_key(method: str, path: str) -> str:
    """``GET /a/{x}/`` and ``get /a/{y}`` are the same endpoint: names blanked, trailing slash ignored."""
    path = re.sub(r"\{[^}]*\}", "{}", path.strip())
    path = "/" + path.strip("/")
    return f"{method.upper()} {path}"


@dataclass
class Score:
    name: str
    expected: set[str]
    found: set[str] = field(default_factory=set)
    params_expected: int = 0
    params_found: int = 0
    seconds: float = 0.0
    root_expected: str = "."
    root_chosen: str = "."
    framework: str = ""
    error: str = ""

    @property
    def tp(self) -> int:
        return len(self.expected & self.found)

    @property
    def precision(self) -> float:
        return self.tp / len(self.found) if self.found else 0.0

    @property
    def recall(self) -> float:
        return self.tp / len(self.expected) if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def param_recall(self) -> float:
        return self.params_found / self.params_expected if self.params_expected else 1.0


def spec_operations(spec: dict[str, Any]) -> dict[str, set[str]]:
    """Endpoint key -> parameter names (path-level and operation-level), servers' base path applied."""
    base = ""
    servers = spec.get("servers") or []
    if servers and isinstance(servers[0], dict):
        base = urlparse(str(servers[0].get("url", ""))).path.rstrip("/")
    out: dict[str, set[str]] = {}
    for path, item in (spec.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = {p.get("name") for p in item.get("parameters", []) if isinstance(p, dict)}
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            names = {p.get("name") for p in operation.get("parameters", []) if isinstance(p, dict)}
            names |= set(re.findall(r"\{([^}]+)\}", path))
            out[endpoint_key(method, base + path)] = {str(n) for n in names | shared if n}
    return out


def score(truth_file: Path, clones: Path, given_root: bool) -> Score:
    truth = yaml.safe_load(truth_file.read_text())
    expected = {endpoint_key(*line.split(None, 1)) for line in truth["endpoints"]}
    result = Score(truth_file.stem, expected, root_expected=str(truth.get("root", ".")))
    clone = clones / str(truth["repo"]).replace("/", "__")
    if not clone.is_dir():
        result.error = f"no clone at {clone.name}"
        return result
    head = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if head and head != truth["commit"]:
        result.error = f"clone is at {head[:10]}, ground truth at {str(truth['commit'])[:10]}"
    target = clone / result.root_expected if given_root else clone
    started = time.perf_counter()
    analysis = analyze(target)
    result.seconds = time.perf_counter() - started
    result.root_chosen = result.root_expected if given_root else analysis.profile.app_dir
    result.framework = analysis.profile.framework or "-"
    operations = spec_operations(analysis.spec)
    result.found = set(operations)
    for line, names in (truth.get("params") or {}).items():
        wanted = set(names)
        got = operations.get(endpoint_key(*line.split(None, 1)), set())
        result.params_expected += len(wanted)
        result.params_found += len(wanted & got)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("clones", type=Path, help="folder holding <owner>__<name> clones")
    parser.add_argument("--only", nargs="*", default=(), help="ground-truth names (file stems) to run")
    parser.add_argument("--given-root", action="store_true", help="analyse the app folder, not the clone")
    parser.add_argument("--details", action="store_true", help="list missed and extra endpoints")
    args = parser.parse_args()
    files = sorted(CORPUS.glob("*.yaml"))
    if args.only:
        files = [f for f in files if f.stem in args.only]
    scores = [score(f, args.clones, args.given_root) for f in files]

    print(f"{'repository':<34} {'fw':<12} {'P':>5} {'R':>5} {'F1':>5} {'param':>6} {'s':>5}  root")
    for s in scores:
        root = "ok"
        if s.root_chosen != s.root_expected:
            root = f"chose {s.root_chosen!r}, want {s.root_expected!r}"
        print(
            f"{s.name:<34} {s.framework:<12} {s.precision:5.2f} {s.recall:5.2f} {s.f1:5.2f} "
            f"{s.param_recall:6.2f} {s.seconds:5.2f}  {root} {s.error}"
        )
        if args.details:
            for key in sorted(s.expected - s.found):
                print(f"    missed  {key}")
            for key in sorted(s.found - s.expected):
                print(f"    extra   {key}")
    tp = sum(s.tp for s in scores)
    found = sum(len(s.found) for s in scores)
    expected = sum(len(s.expected) for s in scores)
    precision = tp / found if found else 0.0
    recall = tp / expected if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    params = sum(s.params_found for s in scores) / max(1, sum(s.params_expected for s in scores))
    macro_f1 = sum(s.f1 for s in scores) / max(1, len(scores))
    slowest = max((s.seconds for s in scores), default=0.0)
    exact = sum(1 for s in scores if s.expected == s.found)
    print(
        f"\n{len(scores)} repositories, {expected} endpoints: "
        f"precision {precision:.3f}, recall {recall:.3f}, "
        f"F1 {f1:.3f} (mean per repository {macro_f1:.3f}), parameter recall {params:.3f}, "
        f"{exact} exact, slowest {slowest:.2f} s"
    )
    met = f1 >= TARGET_F1 and params >= TARGET_PARAM_RECALL and slowest < TARGET_SECONDS
    print(
        f"verdict: {'MET' if met else 'NOT MET'} "
        f"(F1 >= {TARGET_F1}, parameter recall >= {TARGET_PARAM_RECALL}, "
        f"< {TARGET_SECONDS:.0f} s per repository)"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

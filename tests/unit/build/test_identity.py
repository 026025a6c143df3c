"""`run_digest`: what an image runs, labels aside (the start check's cache key)."""

from __future__ import annotations

import copy
from typing import Any

from justpush.build import run_digest

INSPECTED: dict[str, Any] = {
    "Id": "sha256:" + "a" * 64,
    "Os": "linux",
    "Architecture": "amd64",
    "RootFS": {"Type": "layers", "Layers": ["sha256:" + "1" * 64, "sha256:" + "2" * 64]},
    "Config": {
        "Cmd": ["uvicorn", "app:app", "--port", "8000"],
        "Entrypoint": None,
        "Env": ["PATH=/venv/bin:/usr/bin", "PYTHONUNBUFFERED=1"],
        "ExposedPorts": {"8000/tcp": {}},
        "User": "10001",
        "WorkingDir": "/app",
        "Labels": {"io.justpush.upload-id": "upload-1", "org.opencontainers.image.revision": "upload-1"},
    },
}


def _changed(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(INSPECTED)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def test_is_a_sha256_digest_and_stable() -> None:
    digest = run_digest(INSPECTED)
    assert digest.startswith("sha256:") and len(digest) == len("sha256:") + 64
    assert run_digest(copy.deepcopy(INSPECTED)) == digest


def test_another_upload_of_the_same_files_has_the_same_digest() -> None:
    other = _changed(("Config", "Labels"), {"io.justpush.upload-id": "upload-2"})
    other["Id"] = "sha256:" + "b" * 64
    other["Created"] = "2026-12-03T15:00:00Z"
    assert run_digest(other) == run_digest(INSPECTED)


def test_what_a_container_runs_changes_the_digest() -> None:
    base = run_digest(INSPECTED)
    changes = [
        (("Config", "Cmd"), ["gunicorn", "app:app"]),
        (("Config", "Entrypoint"), ["/bin/sh", "-c"]),
        (("Config", "Env"), ["PATH=/usr/bin"]),
        (("Config", "User"), "root"),
        (("Config", "WorkingDir"), "/srv"),
        (("Config", "ExposedPorts"), {"9000/tcp": {}}),
        (("RootFS", "Layers"), ["sha256:" + "1" * 64]),
        (("Architecture",), "arm64"),
    ]
    digests = {run_digest(_changed(path, value)) for path, value in changes}
    assert base not in digests
    assert len(digests) == len(changes)

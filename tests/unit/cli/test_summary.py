"""`justpush status` and the end of a job command: a failed job's error, printed once and as written."""

from __future__ import annotations

from typing import Any

import pytest

from justpush.cli.deploy import _finish, _summary
from justpush.errors import StageFailed

FAILED: dict[str, Any] = {
    "upload_id": "u1",
    "status": "FAILED",
    "image": "registry.local/app:[u1]",
    "job": {"kind": "deploy", "status": "failed", "stage": "BUILDING", "error": "pip failed [exit 1]"},
}


def test_status_shows_a_failed_jobs_error(capsys: pytest.CaptureFixture[str]) -> None:
    _summary(FAILED, as_json=False)
    lines = capsys.readouterr().out.splitlines()
    assert "image:       registry.local/app:[u1]" in lines
    assert lines[-1] == "last job:    deploy failed at BUILDING: pip failed [exit 1]"


def test_a_job_command_leaves_the_error_to_the_error_handler(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(StageFailed) as caught:
        _finish(FAILED, as_json=False)
    assert "pip failed [exit 1]" in caught.value.message
    assert "pip failed" not in capsys.readouterr().out

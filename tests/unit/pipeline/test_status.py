"""The status machine: every stage order the pipeline uses is allowed, everything else refused."""

from __future__ import annotations

from itertools import pairwise

import pytest

from justpush.errors import ConflictError
from justpush.pipeline import SERVING, TERMINAL, DeploymentStatus, check_transition

S = DeploymentStatus

FULL_DEPLOY = [
    None,
    S.PENDING,
    S.SCANNING,
    S.BUILDING,
    S.PUSHING,
    S.DEPLOYING,
    S.CONFIGURING,
    S.VERIFYING,
    S.DEPLOYED,
]


def test_full_deploy_path_is_allowed() -> None:
    for current, new in pairwise(FULL_DEPLOY):
        check_transition(current, new)


@pytest.mark.parametrize(
    "path",
    [
        # Redeploy reuses the image: PENDING → DEPLOYING.
        [S.DEPLOYED, S.PENDING, S.DEPLOYING, S.VERIFYING, S.DEPLOYED],
        # Kong not configured: CONFIGURING is skipped.
        [S.PENDING, S.SCANNING, S.BUILDING, S.PUSHING, S.DEPLOYING, S.VERIFYING, S.DEPLOYED_WITH_WARNINGS],
        [S.DEPLOYED, S.PENDING, S.ROLLING_BACK, S.ROLLED_BACK],
        [S.ROLLED_BACK, S.PENDING, S.DELETING, S.DELETED],
        [S.DELETED, S.PENDING, S.SCANNING],
        [S.FAILED, S.PENDING, S.DELETING],
        # A rollback whose gateway sync is owed; the gateway job that settles it once Kong answers.
        [S.DEPLOYED, S.PENDING, S.ROLLING_BACK, S.DEPLOYED_WITH_WARNINGS],
        [S.DEPLOYED_WITH_WARNINGS, S.PENDING, S.CONFIGURING, S.VERIFYING, S.DEPLOYED],
        [S.DEPLOYED_WITH_WARNINGS, S.PENDING, S.CONFIGURING, S.DEPLOYED_WITH_WARNINGS],
        [S.DELETED, S.PENDING, S.DELETING, S.DELETED],
    ],
)
def test_other_job_paths_are_allowed(path: list[DeploymentStatus]) -> None:
    for current, new in pairwise(path):
        check_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (None, S.DEPLOYED),
        (S.PENDING, S.DEPLOYED),
        (S.BUILDING, S.DEPLOYING),
        (S.DEPLOYED, S.BUILDING),
        (S.DELETED, S.DEPLOYED),
        (S.DEPLOYING, S.ROLLED_BACK),
    ],
)
def test_skipping_or_reversing_is_refused(current: DeploymentStatus | None, new: DeploymentStatus) -> None:
    with pytest.raises(ConflictError, match=new.value):
        check_transition(current, new)


@pytest.mark.parametrize(
    "stage", [S.SCANNING, S.BUILDING, S.PUSHING, S.DEPLOYING, S.CONFIGURING, S.VERIFYING]
)
def test_every_stage_can_fail(stage: DeploymentStatus) -> None:
    check_transition(stage, S.FAILED)


def test_serving_statuses_are_terminal() -> None:
    assert SERVING <= TERMINAL
    assert S.FAILED in TERMINAL and S.FAILED not in SERVING

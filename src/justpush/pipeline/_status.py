"""Deployment statuses and the transitions the pipeline allows between them."""

from __future__ import annotations

from enum import StrEnum

from justpush.errors import ConflictError


class DeploymentStatus(StrEnum):
    PENDING = "PENDING"
    SCANNING = "SCANNING"
    BUILDING = "BUILDING"
    PUSHING = "PUSHING"
    DEPLOYING = "DEPLOYING"
    CONFIGURING = "CONFIGURING"
    VERIFYING = "VERIFYING"
    DEPLOYED = "DEPLOYED"
    DEPLOYED_WITH_WARNINGS = "DEPLOYED_WITH_WARNINGS"
    FAILED = "FAILED"
    ROLLING_BACK = "ROLLING_BACK"
    ROLLED_BACK = "ROLLED_BACK"
    DELETING = "DELETING"
    DELETED = "DELETED"


S = DeploymentStatus

# Statuses in which nothing runs: a new job may start from them.
TERMINAL = frozenset({S.DEPLOYED, S.DEPLOYED_WITH_WARNINGS, S.FAILED, S.ROLLED_BACK, S.DELETED})
# Statuses in which the app serves traffic.
SERVING = frozenset({S.DEPLOYED, S.DEPLOYED_WITH_WARNINGS, S.ROLLED_BACK})

# A failed deploy or redeploy ends DEPLOYED_WITH_WARNINGS from any stage when the previous revision
# serves on (untouched, or restored by the undo): the record says what serves, the job what failed.
ALLOWED: dict[DeploymentStatus | None, frozenset[DeploymentStatus]] = {
    None: frozenset({S.PENDING}),
    # A gateway job (what Kong owes) starts at CONFIGURING, or at DELETING once nothing serves.
    S.PENDING: frozenset(
        {
            S.SCANNING,
            S.DEPLOYING,
            S.CONFIGURING,
            S.ROLLING_BACK,
            S.DELETING,
            S.FAILED,
            S.DEPLOYED_WITH_WARNINGS,
        }
    ),
    S.SCANNING: frozenset({S.BUILDING, S.FAILED, S.DEPLOYED_WITH_WARNINGS}),
    S.BUILDING: frozenset({S.PUSHING, S.FAILED, S.DEPLOYED_WITH_WARNINGS}),
    S.PUSHING: frozenset({S.DEPLOYING, S.FAILED, S.DEPLOYED_WITH_WARNINGS}),
    # Redeploy skips build and push; Kong may be unconfigured, so CONFIGURING is optional.
    S.DEPLOYING: frozenset({S.CONFIGURING, S.VERIFYING, S.FAILED, S.DEPLOYED_WITH_WARNINGS}),
    S.CONFIGURING: frozenset({S.VERIFYING, S.DEPLOYED_WITH_WARNINGS, S.FAILED}),
    S.VERIFYING: frozenset({S.DEPLOYED, S.DEPLOYED_WITH_WARNINGS, S.FAILED}),
    # A rollback whose gateway did not follow ends DEPLOYED_WITH_WARNINGS, as a deploy would.
    S.ROLLING_BACK: frozenset({S.ROLLED_BACK, S.DEPLOYED_WITH_WARNINGS, S.FAILED}),
    S.DELETING: frozenset({S.DELETED, S.FAILED}),
}
for _terminal in TERMINAL:
    ALLOWED[_terminal] = frozenset({S.PENDING})


def check_transition(current: DeploymentStatus | None, new: DeploymentStatus) -> None:
    """Raise ConflictError when `new` may not follow `current`."""
    if new not in ALLOWED.get(current, frozenset()):
        raise ConflictError(
            f"status {new} cannot follow {current or 'no status'}",
            details={"from": current, "to": new},
        )

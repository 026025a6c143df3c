"""What Kong still owes an upload after a job could not reach it, and how the debt reads.

A job that cannot reach Kong (no answer, a timeout, or a 5xx) finishes everything else and records the
debt on the deployment record (`analyze_results.gateway_owed`, shown by the status API, the dashboard and
`justpush status`). The workers settle it once Kong answers: `PipelineWorker.settle_gateway_debts`
queues a `gateway` job, whose flow (`flows.settle_gateway`) makes Kong hold what the record says
serves. What is owed follows from the record, not from the job that failed: while the app serves, the
latest revision's routes, plugins and consumer (a sync, which also removes what a sync cut short left
behind); once nothing serves, nothing tagged with the upload. A refusal (4xx) is not owed: the same
request cannot succeed later, so it stays a plain warning.
"""

from __future__ import annotations

from justpush.errors import KongError

from ._status import SERVING, DeploymentStatus

# Every warning about a Kong sync that did not happen starts so; a caught-up gateway drops them.
GATEWAY_WARNING = "Kong configuration failed"
# The smoke test's warnings start so; the gateway job runs the smoke test again.
SMOKE_WARNING = "smoke test via "
SMOKE_LOG_WARNING = "the app's last log lines"


def unreachable(exc: KongError) -> bool:
    """Kong did not answer, or answered that it cannot serve now (5xx): worth retrying later."""
    return exc.status is None or exc.status >= 500


def owed_sync(upload_id: str, revision: int, reason: str) -> str:
    """The debt (and the job's warning) when a revision's gateway configuration did not reach Kong."""
    return (
        f"{GATEWAY_WARNING}, the app keeps running: {reason}; Kong still owes revision {revision}'s "
        f"routes, plugins and consumer (tag upload:{upload_id}), synced once Kong answers"
    )


def owed_cleanup(upload_id: str, reason: str) -> str:
    """The debt when the entities of an upload that no longer serves could not be removed."""
    return (
        f"Kong entities tagged upload:{upload_id} are still to be removed "
        f"(removed once Kong answers): {reason}"
    )


def owes_sync(before: str | None, deployment_info: dict[str, object] | None) -> bool:
    """True when Kong owes a sync of the latest revision; False when it owes the removal of everything.

    `before` is the status the record had when the debt was queued (the job's PENDING hides it).
    """
    return before is not None and DeploymentStatus(before) in SERVING and bool(deployment_info)


def caught_up_warnings(previous: list[str]) -> list[str]:
    """The warnings of the job that left the debt that still hold once Kong caught up: neither Kong's
    nor the smoke test's, with the app log it showed (the gateway job runs it again)."""
    return [w for w in previous if not w.startswith((GATEWAY_WARNING, SMOKE_WARNING, SMOKE_LOG_WARNING))]

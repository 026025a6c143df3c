"""The job kinds — deploy, redeploy, rollback, delete, and gateway (what Kong owes, `_owed`) — as
sequences of stages.

Every stage reports through the JobContext; a failure undoes what this run created, so the
previous revision (if any) keeps serving and no object is orphaned:

- every run removes its local images (the build tag and the engine's copy of the pushed tag);
- build, push or Kubernetes fail → the pushed tag is deleted from the registry (unless a stored revision
  uses its image), and the previous revision is re-applied, or every object of the upload is deleted;
- Kong fails → the app keeps running; the deployment ends DEPLOYED_WITH_WARNINGS with the reason, and
  when Kong could not answer, the sync is owed and done by a `gateway` job once it answers.
- steps that do not depend on each other run side by side (`together`): the sandboxed start check
  beside the push (skipped for an image that passed it before, `_start_check`), the Kong sync and the
  removal of local images beside the rollout wait; a failed rollout also undoes that Kong sync.

A job names its image before building it (`JobContext.record_artifacts`), so recovery after a crash in
any stage knows what to remove (`undo_interrupted`). A worker that lost the job's lease (LeaseLost)
undoes nothing: the job's new owner does.

A cancelled deploy or redeploy stops at once during the build and the rollout, and otherwise at the
next stage boundary up to DEPLOYING, then is undone like a failure; once the new pods are ready the
job runs to its end (Kong and the smoke test take seconds, and a half-configured gateway helps nobody).
"""

from ._deploy import deploy
from ._lifecycle import delete, redeploy, rollback
from ._settle import settle_gateway
from ._undo import undo_interrupted

__all__ = ["delete", "deploy", "redeploy", "rollback", "settle_gateway", "undo_interrupted"]

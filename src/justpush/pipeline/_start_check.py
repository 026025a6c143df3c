"""The sandboxed start check's plan, and when a check passed before makes a new one pointless.

The check starts the image's own command under the sandbox runtime (gVisor) and needs it to stay up for
`GRACE_SECONDS`. Its outcome depends on what the image runs (`build.run_digest`: layers and runtime
config, labels aside) and on the check's inputs: the runtime and its limits, the names of the variables
it gets, the writable folders, the port. Variable values are left out on purpose: a redeploy that
changes only values (or replicas) re-uses the image without a check, and a deploy should not pay 5 s
for what a redeploy gets for free. The same image with the same inputs is not checked twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from justpush import k8s
from justpush.config import SandboxSettings

GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class StartCheckPlan:
    run_digest: str
    runtime: str
    cpus: float
    memory_mb: int
    pids_limit: int
    grace_seconds: float
    # The values may be secrets: never in a repr or a log.
    environment: Mapping[str, str] = field(repr=False)
    writable_dirs: tuple[str, ...]
    seeded_dirs: tuple[str, ...]
    writable_root: bool
    port: int

    def inputs_hash(self) -> str:
        """sha256 of everything but the image that decides the outcome (variable names, not values)."""
        inputs = {
            "runtime": self.runtime,
            "cpus": self.cpus,
            "memory_mb": self.memory_mb,
            "pids_limit": self.pids_limit,
            "grace_seconds": self.grace_seconds,
            "env_names": sorted(self.environment),
            "writable_dirs": sorted(self.writable_dirs),
            "seeded_dirs": sorted(self.seeded_dirs),
            "writable_root": self.writable_root,
            "port": self.port,
        }
        return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()

    def skipped_message(self) -> str:
        return f"start check: passed before for {self.run_digest}, skipped"


def plan_start_check(sandbox: SandboxSettings, app: k8s.AppDeployment, run_digest: str) -> StartCheckPlan:
    """The check of the image `run_digest` as `app` would run it, with no network (see SANDBOX.md)."""
    layout = k8s.writable_layout(app)
    return StartCheckPlan(
        run_digest=run_digest,
        runtime=sandbox.runtime,
        cpus=sandbox.cpus,
        memory_mb=sandbox.memory_mb,
        pids_limit=sandbox.pids_limit,
        grace_seconds=GRACE_SECONDS,
        environment={**layout.environment, **{entry.name: entry.value for entry in app.env}},
        writable_dirs=tuple(layout.empty_dirs),
        seeded_dirs=layout.seeded_dirs,
        writable_root=layout.writable_root,
        port=app.port,
    )

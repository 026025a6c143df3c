"""What an image runs, as one digest: its layers and the runtime part of its config, without labels.

Two builds of the same files differ only in their labels (the upload id is one), so their image ids
differ while everything a container of them does is the same. `run_digest` names that sameness: the
pipeline keys its sandboxed start check on it, so an unchanged app is not started again for 5 seconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# The parts of an image config (`docker image inspect` .Config) that change what a started container does.
_RUNTIME_FIELDS = (
    "Cmd",
    "Entrypoint",
    "Env",
    "ExposedPorts",
    "Healthcheck",
    "StopSignal",
    "User",
    "Volumes",
    "WorkingDir",
)


def run_digest(inspected: Mapping[str, Any]) -> str:
    """`sha256:<hex>` over the image's layer diff ids and its config's runtime fields (see above)."""
    config = inspected.get("Config") or {}
    identity = {
        "layers": list((inspected.get("RootFS") or {}).get("Layers") or []),
        "os": inspected.get("Os", ""),
        "architecture": inspected.get("Architecture", ""),
        "config": {name: config.get(name) for name in _RUNTIME_FIELDS},
    }
    encoded = json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()
    return f"sha256:{hashlib.sha256(encoded).hexdigest()}"
